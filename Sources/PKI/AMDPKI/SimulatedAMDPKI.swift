import AMDValues
import ByteLayout
import Crypto
import Foundation
import SimulatedPKI
import SwiftASN1
import X509
import _CryptoExtras

/// The simulated AMD root of trust of one product line: ARK (RSA-4096, self-signed) → ASK
/// (RSA-4096) → the chip's VCEK (P-384), all signed RSASSA-PSS/SHA-384 as AMD's KDS does.
///
/// ARK and ASK are created once per product line and kept with their keys in the key store's
/// directory; the VCEK is issued at load time for the chip id and reported TCB, since a VCEK
/// is bound to both (its hwID and SPL extensions must equal the report's).
public struct SimulatedAMDPKI: Sendable {
    // Certificates are DER bytes.

    /// The key that signs reports: the chip's VCEK, or a cloud provider's VLEK.

    /// How the VCEK's hwID extension holds the CHIP_ID.
    public enum HardwareIDEncoding: String, Sendable, CaseIterable {
        /// The 64 bytes themselves, as AMD's KDS issues them: verifiers compare them with CHIP_ID.
        case raw
        /// Wrapped in a DER OCTET STRING (`04 40 …`), as some test fixtures do: for testing verifiers.
        case octetString = "octet-string"
    }

    public let productLine: AMDProductLine
    public let signer: EndorsementKey
    public let arkDER: [UInt8]
    /// The ASK for a VCEK, the ASVK for a VLEK.
    public let intermediateDER: [UInt8]
    /// The VCEK or VLEK certificate.
    public let signerDER: [UInt8]
    public let signerKey: P384.Signing.PrivateKey
    /// Signs the product line's CRLs.
    let arkKey: _RSA.Signing.PrivateKey

    static let notBefore = Date(timeIntervalSince1970: 1_735_689_600)  // 2025-01-01
    static let notAfter = Date(timeIntervalSince1970: 2_524_607_999)  // 2049-12-31

    static let kdsArc: [UInt] = [1, 3, 6, 1, 4, 1, 3704, 1]
    /// The simulated cloud provider a VLEK names in its cspID extension.
    public static let cloudServiceProvider = "tsmfs-simulated-csp"

    public static func load(
        from store: KeyStore, productLine: AMDProductLine, chipID: [UInt8],
        reportedTCB: TCBVersion, signer: EndorsementKey = .vcek,
        hardwareID: HardwareIDEncoding = .raw
    ) throws -> SimulatedAMDPKI {
        let line = productLine.rawValue.lowercased()
        let arkKey = try store.rsaKey("ark-\(line)")
        let arkName = try AMDProductLine.distinguishedName(productLine.arkCommonName)
        let ark = try storedCertificate(store, "ark-\(line)", publicKey: Certificate.PublicKey(arkKey.publicKey)) {
            try PSSCertificate.issue(
                serial: [0x01], issuer: arkName, subject: arkName, notBefore: notBefore, notAfter: notAfter,
                publicKey: Certificate.PublicKey(arkKey.publicKey),
                extensions: try caExtensions(arkKey, issuer: nil, crlURL: productLine.crlURL, pathLength: nil),
                signer: arkKey)
        }
        // The VCEK chain's intermediate is the ASK; the VLEK's is the ASVK, with its own key and CRL.
        let intermediateName = signer == .vcek ? "ask-\(line)" : "asvk-\(line)"
        let intermediateCommonName = signer == .vcek ? productLine.askCommonName : "SEV-VLEK-\(productLine.rawValue)"
        let crlURL = signer == .vcek ? productLine.crlURL : "https://kdsintf.amd.com/vlek/v1/\(productLine.rawValue)/crl"
        let intermediateKey = try store.rsaKey(intermediateName)
        let intermediateDN = try AMDProductLine.distinguishedName(intermediateCommonName)
        let intermediate = try storedCertificate(
            store, intermediateName,
            publicKey: Certificate.PublicKey(intermediateKey.publicKey)
        ) {
            try PSSCertificate.issue(
                serial: [0x02], issuer: arkName, subject: intermediateDN, notBefore: notBefore,
                notAfter: notAfter, publicKey: Certificate.PublicKey(intermediateKey.publicKey),
                extensions: try caExtensions(intermediateKey, issuer: arkKey, crlURL: crlURL, pathLength: 0),
                signer: arkKey)
        }
        let signerKey = try store.p384Key("\(signer.rawValue)-\(line)")
        // A VCEK is specific to a chip and a TCB (a VLEK to a TCB); each is issued once and kept,
        // so evidence stays byte-stable across restarts (PSS signatures are randomised).
        let levels = [reportedTCB.bootLoader, reportedTCB.tee, 0, 0, 0, 0, reportedTCB.snp, reportedTCB.microcode]
        let bound = signer == .vcek ? chipID + levels + Array("hwID \(hardwareID.rawValue)".utf8) : levels
        let binding = Array(SHA256.hash(data: bound).prefix(6)).hexString
        let signerCertificate = try storedCertificate(
            store, "\(signer.rawValue)-\(line)-\(binding)",
            publicKey: Certificate.PublicKey(signerKey.publicKey)
        ) {
            try PSSCertificate.issue(
                serial: [0x00], issuer: intermediateDN,
                subject: try AMDProductLine.distinguishedName(signer == .vcek ? "SEV-VCEK" : "SEV-VLEK"),
                notBefore: notBefore, notAfter: notAfter, publicKey: Certificate.PublicKey(signerKey.publicKey),
                extensions: try kdsExtensions(
                    productLine: productLine, signer: signer, chipID: chipID, tcb: reportedTCB,
                    hardwareID: hardwareID),
                signer: intermediateKey)
        }
        return SimulatedAMDPKI(
            productLine: productLine, signer: signer, arkDER: ark, intermediateDER: intermediate,
            signerDER: signerCertificate, signerKey: signerKey, arkKey: arkKey)
    }

    /// Exactly AMD's KDS extension set: structVersion, productName, eight SPLs, then hwID (VCEK,
    /// the line and stepping as productName) or cspID (VLEK, the line alone).
    static func kdsExtensions(
        productLine: AMDProductLine, signer: EndorsementKey, chipID: [UInt8],
        tcb: TCBVersion, hardwareID: HardwareIDEncoding
    ) throws -> [Certificate.Extension] {
        func value(_ write: (inout DER.Serializer) throws -> Void) throws -> ArraySlice<UInt8> {
            var serializer = DER.Serializer()
            try write(&serializer)
            return ArraySlice(serializer.serializedBytes)
        }
        func kds(_ arcs: UInt..., value: ArraySlice<UInt8>) throws -> Certificate.Extension {
            Certificate.Extension(oid: try ASN1ObjectIdentifier(elements: kdsArc + arcs), critical: false, value: value)
        }
        var extensions = [
            try kds(1, value: try value { try $0.serialize(0) }),
            try kds(
                2,
                value: try value {
                    try $0.serialize(ASN1IA5String(signer == .vcek ? productLine.productName : productLine.rawValue))
                }),
        ]
        for (index, spl) in tcb.securityPatchLevelExtensions.enumerated() {
            extensions.append(try kds(3, UInt(index + 1), value: try value { try $0.serialize(Int(spl)) }))
        }
        switch signer {
        case .vcek:
            let id =
                hardwareID == .raw
                ? ArraySlice(chipID) : try value { try $0.serialize(ASN1OctetString(contentBytes: ArraySlice(chipID))) }
            extensions.append(try kds(4, value: id))
        case .vlek:
            extensions.append(try kds(5, value: try value { try $0.serialize(ASN1IA5String(cloudServiceProvider)) }))
        }
        return extensions
    }

    private static func caExtensions(
        _ key: _RSA.Signing.PrivateKey, issuer: _RSA.Signing.PrivateKey?, crlURL: String,
        pathLength: Int?
    ) throws -> [Certificate.Extension] {
        let ownIdentifier = SubjectKeyIdentifier(hash: Certificate.PublicKey(key.publicKey))
        var extensions: [Certificate.Extension] = []
        if let issuer {
            let issuerIdentifier = SubjectKeyIdentifier(hash: Certificate.PublicKey(issuer.publicKey)).keyIdentifier
            extensions.append(try Certificate.Extension(ownIdentifier, critical: false))
            extensions.append(try Certificate.Extension(AuthorityKeyIdentifier(keyIdentifier: issuerIdentifier), critical: false))
            extensions.append(
                try Certificate.Extension(BasicConstraints.isCertificateAuthority(maxPathLength: pathLength), critical: true))
            extensions.append(try Certificate.Extension(KeyUsage(keyCertSign: true), critical: true))
        } else {
            extensions.append(try Certificate.Extension(KeyUsage(keyCertSign: true, cRLSign: true), critical: true))
            extensions.append(try Certificate.Extension(ownIdentifier, critical: false))
            extensions.append(
                try Certificate.Extension(BasicConstraints.isCertificateAuthority(maxPathLength: pathLength), critical: true))
        }
        extensions.append(try CertificateIssuer.crlDistributionPoint(crlURL))
        return extensions
    }

    /// Loads `<name>.der` if it certifies `key`, else issues and stores a new one. PSS
    /// certificates do not parse in swift-certificates, so a stored one is recognised by the
    /// key's SubjectPublicKeyInfo, which a certificate carries verbatim.
    private static func storedCertificate(
        _ store: KeyStore, _ name: String, publicKey: Certificate.PublicKey,
        issue: () throws -> [UInt8]
    ) throws -> [UInt8] {
        let path = "\(store.directory)/\(name).der"
        var spki = DER.Serializer()
        try spki.serialize(publicKey)
        if let data = FileManager.default.contents(atPath: path), Array(data).contains(subsequence: spki.serializedBytes) {
            return Array(data)
        }
        let der = try issue()
        try store.writeAtomically(path, der)
        return der
    }

    /// The CRL AMD's KDS serves for this chain (`https://kdsintf.amd.com/vcek/v1/<line>/crl`, or
    /// `/vlek/` for a VLEK chain): issued and signed by the ARK with RSASSA-PSS/SHA-384, listing
    /// `revoked` intermediate serials (big-endian bytes; the ASK and ASVK are 02).
    public func revocationList(revoking revoked: [[UInt8]], thisUpdate: Date, nextUpdate: Date) throws -> [UInt8] {
        let name = try AMDProductLine.distinguishedName(productLine.arkCommonName)
        let identifier = SubjectKeyIdentifier(hash: Certificate.PublicKey(arkKey.publicKey)).keyIdentifier
        return try CRLBuilder.revocationList(
            issuer: name, authorityKeyIdentifier: Array(identifier), number: 1, thisUpdate: thisUpdate,
            nextUpdate: nextUpdate, revoked: revoked, algorithm: PSSCertificate.writeAlgorithm,
            sign: { Array(try arkKey.signature(for: SHA384.hash(data: $0), padding: .PSS).rawRepresentation) })
    }

    /// PEM of a DER certificate.
    public static func pem(_ der: [UInt8]) -> String {
        PEMDocument(type: "CERTIFICATE", derBytes: der).pemString + "\n"
    }
}

extension Array where Element == UInt8 {
    func contains(subsequence needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, needle.count <= count else { return false }
        return (0...(count - needle.count)).contains { self[$0..<$0 + needle.count].elementsEqual(needle) }
    }
}
