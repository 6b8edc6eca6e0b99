import Crypto
import Foundation
import SigningKeys
import SimulatedPKI
import SwiftASN1
import X509

/// The simulated Intel SGX/TDX root of trust: "Intel SGX Root CA" → "Intel SGX PCK Platform CA"
/// → the platform's "Intel SGX PCK Certificate", and "Intel SGX TCB Signing" for collateral.
///
/// The root, the Platform CA and the TCB signing certificate are created once and kept in the
/// key store's directory; the PCK certificate is issued at load time from the platform
/// description, so a changed configuration never leaves a stale SGX extension behind.
public struct SimulatedIntelPKI: Sendable {
    public let root: CertificateAuthority
    public let platformCA: CertificateAuthority
    public let tcbSigning: CertificateAuthority
    public let pck: CertificateAuthority
    public let platform: TDXPlatform

    /// Certificates are valid over this fixed window, so seeded runs produce the same TBS bytes.
    public static let notValidBefore = Date(timeIntervalSince1970: 1_735_689_600)  // 2025-01-01
    public static let notValidAfter = Date(timeIntervalSince1970: 2_524_607_999)  // 2049-12-31

    public static func load(from store: KeyStore, platform: TDXPlatform) throws -> SimulatedIntelPKI {
        let rootKey = try store.signingKey("intel-sgx-root-ca")
        let root = try authority(store, "intel-sgx-root-ca", key: rootKey, subject: IntelNames.rootCommonName) {
            try issue(
                subject: IntelNames.rootCommonName, key: rootKey, issuer: nil, serialLabel: "root", store: store,
                extensions: caExtensions(key: rootKey, issuerKeyIdentifier: nil, crlURL: IntelNames.rootCRLURL, pathLength: 1))
        }
        let platformKey = try store.signingKey("intel-sgx-pck-platform-ca")
        let platformCA = try authority(
            store, "intel-sgx-pck-platform-ca", key: platformKey, subject: IntelNames.platformCACommonName
        ) {
            try issue(
                subject: IntelNames.platformCACommonName, key: platformKey, issuer: root, serialLabel: "platform-ca",
                store: store,
                extensions: caExtensions(
                    key: platformKey, issuerKeyIdentifier: root.keyIdentifier,
                    crlURL: IntelNames.rootCRLURL, pathLength: 0))
        }
        let tcbKey = try store.signingKey("intel-sgx-tcb-signing")
        let tcbSigning = try authority(store, "intel-sgx-tcb-signing", key: tcbKey, subject: IntelNames.tcbSigningCommonName) {
            try issue(
                subject: IntelNames.tcbSigningCommonName, key: tcbKey, issuer: root, serialLabel: "tcb-signing", store: store,
                extensions: leafExtensions(key: tcbKey, issuer: root, crlURL: IntelNames.rootCRLURL, extra: nil))
        }
        let pckKey = try store.signingKey("intel-sgx-pck")
        let ppid = Array(SHA256.hash(data: pckKey.publicKey.rawRepresentation).prefix(16))
        let sgx = Certificate.Extension(
            oid: SGXExtension.oid, critical: false,
            value: ArraySlice(try SGXExtension.extensionValue(platform: platform, ppid: ppid)))
        let pckCertificate = try issue(
            subject: IntelNames.pckCommonName, key: pckKey, issuer: platformCA, serialLabel: "pck",
            store: store,
            extensions: leafExtensions(
                key: pckKey, issuer: platformCA,
                crlURL: IntelNames.pckCRLURL, extra: sgx))
        return SimulatedIntelPKI(
            root: root, platformCA: platformCA, tcbSigning: tcbSigning,
            pck: CertificateAuthority(certificate: pckCertificate, key: pckKey), platform: platform)
    }

    /// The PEM chain a quote carries: PCK leaf, Platform CA, root.
    public var pckCertificateChainPEM: String {
        get throws {
            try [pck.certificate, platformCA.certificate, root.certificate].map(CertificateIssuer.pem).joined()
        }
    }

    /// The root CA certificate in DER, as verifiers take a trusted root.
    public var rootDER: [UInt8] {
        get throws { try CertificateIssuer.der(root.certificate) }
    }

    /// Loads a stored certificate, or issues and stores one, for `key`. A stored certificate
    /// for another key (the key file was replaced) is reissued.
    private static func authority(
        _ store: KeyStore, _ name: String, key: SigningKey, subject: String,
        issueNew: () throws -> Certificate
    ) throws -> CertificateAuthority {
        let path = "\(store.directory)/\(name).pem"
        if store.seed == nil, let pem = try store.readText(path),
            let stored = try? Certificate(pemEncoded: pem),
            stored.publicKey == Certificate.PublicKey(key.publicKey)
        {
            return CertificateAuthority(certificate: stored, key: key)
        }
        let certificate = try issueNew()
        if store.seed == nil {
            try store.writeAtomically(path, Array(try CertificateIssuer.pem(certificate).utf8))
        }
        return CertificateAuthority(certificate: certificate, key: key)
    }

    private static func issue(
        subject: String, key: SigningKey, issuer: CertificateAuthority?,
        serialLabel: String, store: KeyStore, extensions: Certificate.Extensions
    ) throws -> Certificate {
        let subjectName = try IntelNames.distinguishedName(subject)
        return try Certificate(
            version: .v3,
            serialNumber: serialNumber(store, serialLabel),
            publicKey: Certificate.PublicKey(key.publicKey),
            notValidBefore: notValidBefore,
            notValidAfter: notValidAfter,
            issuer: issuer?.certificate.subject ?? subjectName,
            subject: subjectName,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: extensions,
            issuerPrivateKey: (issuer?.key ?? key).certificatePrivateKey)
    }

    /// Random 20-byte serials, as Intel's, or derived from the seed.
    private static func serialNumber(_ store: KeyStore, _ label: String) -> Certificate.SerialNumber {
        guard let seed = store.seed else { return Certificate.SerialNumber() }
        var bytes = Array(
            HMAC<SHA256>.authenticationCode(for: Array("serial/\(label)".utf8), using: SymmetricKey(data: seed)).prefix(20))
        bytes[0] &= 0x7F  // a positive INTEGER
        bytes[0] |= 0x01  // without a leading zero byte
        return Certificate.SerialNumber(bytes: bytes)
    }

    private static func caExtensions(
        key: SigningKey, issuerKeyIdentifier: [UInt8]?, crlURL: String,
        pathLength: Int
    ) throws -> Certificate.Extensions {
        let publicKey = Certificate.PublicKey(key.publicKey)
        let ownIdentifier = SubjectKeyIdentifier(hash: publicKey).keyIdentifier
        return try Certificate.Extensions {
            AuthorityKeyIdentifier(keyIdentifier: issuerKeyIdentifier.map { ArraySlice($0) } ?? ownIdentifier)
            try CertificateIssuer.crlDistributionPoint(crlURL)
            SubjectKeyIdentifier(keyIdentifier: ownIdentifier)
            Critical(KeyUsage(keyCertSign: true, cRLSign: true))
            Critical(BasicConstraints.isCertificateAuthority(maxPathLength: pathLength))
        }
    }

    private static func leafExtensions(
        key: SigningKey, issuer: CertificateAuthority, crlURL: String,
        extra: Certificate.Extension?
    ) throws -> Certificate.Extensions {
        try Certificate.Extensions {
            AuthorityKeyIdentifier(keyIdentifier: ArraySlice(issuer.keyIdentifier))
            try CertificateIssuer.crlDistributionPoint(crlURL)
            SubjectKeyIdentifier(hash: Certificate.PublicKey(key.publicKey))
            Critical(KeyUsage(digitalSignature: true, nonRepudiation: true))
            Critical(BasicConstraints.notCertificateAuthority)
            if let extra { extra }
        }
    }
}
