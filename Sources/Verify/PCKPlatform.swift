import SwiftASN1
import X509

/// What a PCK certificate's SGX extension (1.2.840.113741.1.13.1) says of the platform: the FMSPC
/// that selects its collateral, and the TCB it was issued for (16 SGX component SVNs, PCE SVN).
struct PCKPlatform: Equatable {
    var fmspc: [UInt8]
    var sgxComponents: [Int]
    var pceSVN: Int

    static let sgx: ASN1ObjectIdentifier = [1, 2, 840, 113_741, 1, 13, 1]

    init?(_ certificate: Certificate) {
        guard let value = certificate.extensions.first(where: { $0.oid == Self.sgx })?.value,
            let entries = try? Self.entries(Array(value))
        else { return nil }
        var fmspc: [UInt8]?
        var components = [Int](repeating: -1, count: 16)
        var pceSVN: Int?
        for (oid, node) in entries {
            let arcs = Self.arcs(oid)
            guard arcs.count == 8, Array(arcs.prefix(7)) == Self.arcs(Self.sgx) else { continue }
            switch arcs[7] {
            case 2:  // TCB: a sequence of (OID .2.N, INTEGER)
                guard let tcb = try? Self.entries(node) else { return nil }
                for (tcbOID, tcbNode) in tcb {
                    let tcbArcs = Self.arcs(tcbOID)
                    guard tcbArcs.count == 9, let svn = try? Int(derEncoded: tcbNode) else { continue }
                    if (1...16).contains(tcbArcs[8]) { components[Int(tcbArcs[8]) - 1] = svn }
                    if tcbArcs[8] == 17 { pceSVN = svn }
                }
            case 4: fmspc = (try? ASN1OctetString(derEncoded: node)).map { Array($0.bytes) }
            default: continue
            }
        }
        guard let fmspc, let pceSVN, !components.contains(-1) else { return nil }
        (self.fmspc, self.sgxComponents, self.pceSVN) = (fmspc, components, pceSVN)
    }

    /// An OID's arcs, read from its dotted form.
    static func arcs(_ oid: ASN1ObjectIdentifier) -> [UInt] { oid.description.split(separator: ".").compactMap { UInt($0) } }

    /// The (OID, value) pairs of a SEQUENCE OF SEQUENCE { OID, value }.
    private static func entries(_ bytes: [UInt8]) throws -> [(ASN1ObjectIdentifier, ASN1Node)] {
        try entries(try DER.parse(bytes))
    }

    private static func entries(_ node: ASN1Node) throws -> [(ASN1ObjectIdentifier, ASN1Node)] {
        try DER.sequence(node, identifier: .sequence) { items in
            var pairs: [(ASN1ObjectIdentifier, ASN1Node)] = []
            while let item = items.next() {
                try DER.sequence(item, identifier: .sequence) { pair in
                    let oid = try ASN1ObjectIdentifier(derEncoded: &pair)
                    guard let value = pair.next() else { return }
                    pairs.append((oid, value))
                }
            }
            return pairs
        }
    }
}
