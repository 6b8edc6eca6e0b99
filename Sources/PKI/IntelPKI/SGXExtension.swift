import SwiftASN1
import X509

/// The Intel SGX extension of a PCK certificate (OID 1.2.840.113741.1.13.1), Platform CA
/// flavour: PPID, an 18-entry TCB, PCE-ID, FMSPC, SGX type, platform instance id and
/// configuration — the seven entries both QVL and go-tdx-guest accept.
public enum SGXExtension {
    public static let oid: ASN1ObjectIdentifier = [1, 2, 840, 113741, 1, 13, 1]

    static let arcs: [UInt] = [1, 2, 840, 113741, 1, 13, 1]

    /// `1.2.840.113741.1.13.1.<path>`.
    static func child(_ path: UInt...) -> ASN1ObjectIdentifier {
        try! ASN1ObjectIdentifier(elements: arcs + path)
    }

    public static func extensionValue(platform: TDXPlatform, ppid: [UInt8]) throws -> [UInt8] {
        var der = DER.Serializer()
        try der.appendConstructedNode(identifier: .sequence) { entries in
            try entry(&entries, child(1)) { try $0.serialize(ASN1OctetString(contentBytes: ArraySlice(ppid))) }
            try entry(&entries, child(2)) { value in
                try value.appendConstructedNode(identifier: .sequence) { tcb in
                    for (index, svn) in platform.sgxTCBComponents.enumerated() {
                        try entry(&tcb, child(2, UInt(index + 1))) {
                            try $0.serialize(Int(svn))
                        }
                    }
                    try entry(&tcb, child(2, 17)) {
                        try $0.serialize(Int(platform.pceSVN))
                    }
                    try entry(&tcb, child(2, 18)) {
                        try $0.serialize(ASN1OctetString(contentBytes: ArraySlice(platform.sgxTCBComponents)))
                    }
                }
            }
            try entry(&entries, child(3)) { try $0.serialize(ASN1OctetString(contentBytes: ArraySlice(platform.pceID))) }
            try entry(&entries, child(4)) { try $0.serialize(ASN1OctetString(contentBytes: ArraySlice(platform.fmspc))) }
            try entry(&entries, child(5)) { value in
                var integer = DER.Serializer()
                try integer.serialize(platform.sgxType)
                // ENUMERATED shares INTEGER's content encoding.
                let content = Array(integer.serializedBytes.dropFirst(2))
                value.appendPrimitiveNode(identifier: ASN1Identifier(tagWithNumber: 10, tagClass: .universal)) {
                    $0.append(contentsOf: content)
                }
            }
            try entry(&entries, child(6)) {
                try $0.serialize(ASN1OctetString(contentBytes: ArraySlice(platform.platformInstanceID)))
            }
            try entry(&entries, child(7)) { value in
                try value.appendConstructedNode(identifier: .sequence) { configuration in
                    for arc: UInt in 1...3 {
                        try entry(&configuration, child(7, arc)) {
                            try $0.serialize(false)
                        }
                    }
                }
            }
        }
        return der.serializedBytes
    }

    private static func entry(
        _ serializer: inout DER.Serializer, _ oid: ASN1ObjectIdentifier,
        _ value: (inout DER.Serializer) throws -> Void
    ) throws {
        try serializer.appendConstructedNode(identifier: .sequence) { pair in
            try pair.serialize(oid)
            try value(&pair)
        }
    }
}
