import Crypto
import Foundation
import SigningKeys
import SimulatedPKI
import SwiftASN1
import X509

/// The simulated DICE chain of a TDX platform with the quoting extension: a DICE root CA →
/// the platform's DeviceID → the TDX module (its measurement in tcg-dice-TcbInfo) → a quoting
/// key, renewed at every quote initialisation. Root and DeviceID keys are kept in the key store;
/// the module's key is derived from the DeviceID key and the module's measurement and SVN, as a
/// DICE layer derives its CDI, so an updated module gets a new key and certificate.
public struct SimulatedDICEPKI: Sendable {
    public let root: CertificateAuthority
    public let deviceID: CertificateAuthority
    /// The platform's UEID, in the DeviceID certificate.
    public let ueid: [UInt8]
    private let deviceSecret: [UInt8]
    private let seed: [UInt8]?

    public static let rootCommonName = "Simulated Intel TDX DICE Root CA"
    public static let deviceIDCommonName = "Simulated Intel TDX DeviceID"
    public static let moduleCommonName = "Simulated Intel TDX Module"
    public static let quotingKeyCommonName = "Simulated Intel TDX Quoting Key"

    /// The module a quoting key is certified under.
    public struct ModuleIdentity: Equatable, Sendable {
        /// TEE_TCB_SVN byte 0.
        public var svn: UInt8
        /// TEE_TCB_SVN byte 1.
        public var majorVersion: UInt8
        public var mrSeam: [UInt8]

        public init(svn: UInt8, majorVersion: UInt8, mrSeam: [UInt8]) {
            self.svn = svn
            self.majorVersion = majorVersion
            self.mrSeam = mrSeam
        }

        public var tcbInfo: DICEExtensions.TcbInfo {
            DICEExtensions.TcbInfo(
                vendor: "Intel", model: "TDX module", version: "\(majorVersion).\(svn)", svn: Int(svn), layer: 1, fwids: [mrSeam])
        }
    }

    /// - Parameter platformIdentity: bytes naming the platform (FMSPC ‖ instance id); the UEID is
    ///   0x01 ‖ SHA-256 of them.
    public static func load(from store: KeyStore, platformIdentity: [UInt8]) throws -> SimulatedDICEPKI {
        // RFC 6979 signatures: the same keys always issue byte-identical certificates, so the root
        // `tsmfs roots` exports is the one every quote's chain ends with.
        let rootKey = SigningKey(try store.signingKey("dice-root-ca").key, deterministic: true)
        let deviceKey = SigningKey(try store.signingKey("dice-device-id").key, deterministic: true)
        let ueid = [0x01] + Array(SHA256.hash(data: platformIdentity))
        let root = CertificateAuthority(
            certificate: try issue(
                subject: rootCommonName, key: rootKey.publicKey, issuer: nil, issuerKey: rootKey,
                serial: derivedSerial(Array("dice/root".utf8) + Array(rootKey.publicKey.rawRepresentation)),
                extensions: try caExtensions(key: rootKey.publicKey, issuer: nil, extra: [])),
            key: rootKey)
        let device = CertificateAuthority(
            certificate: try issue(
                subject: deviceIDCommonName, key: deviceKey.publicKey, issuer: root, issuerKey: rootKey,
                serial: derivedSerial(Array("dice/device-id".utf8) + Array(deviceKey.publicKey.rawRepresentation)),
                extensions: try caExtensions(
                    key: deviceKey.publicKey, issuer: root,
                    extra: [
                        try DICEExtensions.ueid(ueid),
                        try DICEExtensions.TcbInfo(
                            vendor: "Intel", model: "TDX platform", version: "1", svn: 0, layer: 0,
                            fwids: [Array(SHA384.hash(data: platformIdentity))]
                        ).certificateExtension(),
                    ])),
            key: deviceKey)
        return SimulatedDICEPKI(
            root: root, deviceID: device, ueid: ueid, deviceSecret: Array(deviceKey.key.rawRepresentation), seed: store.seed)
    }

    /// The root in DER, as verifiers take a trusted root.
    public var rootDER: [UInt8] {
        get throws { try CertificateIssuer.der(root.certificate) }
    }

    /// The module layer: a key derived from the DeviceID secret and the module's identity, and its
    /// certificate with the module's TcbInfo.
    public func module(_ identity: ModuleIdentity) throws -> CertificateAuthority {
        let material = HKDF<SHA256>.deriveKey(
            inputKeyMaterial: SymmetricKey(data: deviceSecret), salt: Array("tsmfs DICE TDX module CDI".utf8),
            info: [identity.svn, identity.majorVersion] + identity.mrSeam, outputByteCount: 32)
        let key = SigningKey(
            try material.withUnsafeBytes { try P256.Signing.PrivateKey(rawRepresentation: $0) }, deterministic: true)
        let certificate = try Self.issue(
            subject: Self.moduleCommonName, key: key.publicKey, issuer: deviceID, issuerKey: deviceID.key,
            serial: Self.derivedSerial(Array("module".utf8) + identity.mrSeam + [identity.svn]),
            extensions: try Self.caExtensions(
                key: key.publicKey, issuer: deviceID, extra: [try identity.tcbInfo.certificateExtension()]))
        return CertificateAuthority(certificate: certificate, key: key)
    }

    /// A new quoting key's certificate under `module`. Keys are fresh unless the store is seeded;
    /// then the `generation`-th initialisation always gives the same key.
    public func quotingKey(under module: CertificateAuthority, generation: Int) throws -> (
        key: SigningKey, certificate: Certificate
    ) {
        let key: SigningKey
        if let seed {
            let material = HKDF<SHA256>.deriveKey(
                inputKeyMaterial: SymmetricKey(data: seed), salt: Array("tsmfs DICE quoting key".utf8),
                info: Array("\(generation)".utf8) + Array(module.keyIdentifier), outputByteCount: 32)
            key = SigningKey(
                try material.withUnsafeBytes { try P256.Signing.PrivateKey(rawRepresentation: $0) }, deterministic: true)
        } else {
            key = SigningKey(P256.Signing.PrivateKey(), deterministic: true)
        }
        let extensions = try Certificate.Extensions {
            AuthorityKeyIdentifier(keyIdentifier: ArraySlice(module.keyIdentifier))
            SubjectKeyIdentifier(hash: Certificate.PublicKey(key.publicKey))
            Critical(KeyUsage(digitalSignature: true))
            Critical(BasicConstraints.notCertificateAuthority)
        }
        let certificate = try Self.issue(
            subject: Self.quotingKeyCommonName, key: key.publicKey, issuer: module, issuerKey: module.key,
            serial: Self.derivedSerial(Array(key.publicKey.rawRepresentation)), extensions: extensions)
        return (key, certificate)
    }

    /// Certificates are valid over the same fixed window as the other simulated roots.
    static let notValidBefore = Date(timeIntervalSince1970: 1_735_689_600)  // 2025-01-01
    static let notValidAfter = Date(timeIntervalSince1970: 2_524_607_999)  // 2049-12-31

    private static func name(_ commonName: String) throws -> DistinguishedName {
        try DistinguishedName {
            CommonName(commonName)
            OrganizationName("tsmfs simulated Intel")
            CountryName("US")
        }
    }

    private static func issue(
        subject: String, key: P256.Signing.PublicKey, issuer: CertificateAuthority?, issuerKey: SigningKey,
        serial: Certificate.SerialNumber, extensions: Certificate.Extensions
    ) throws -> Certificate {
        let subjectName = try name(subject)
        return try Certificate(
            version: .v3, serialNumber: serial, publicKey: Certificate.PublicKey(key), notValidBefore: notValidBefore,
            notValidAfter: notValidAfter, issuer: issuer?.certificate.subject ?? subjectName, subject: subjectName,
            signatureAlgorithm: .ecdsaWithSHA256, extensions: extensions, issuerPrivateKey: issuerKey.certificatePrivateKey)
    }

    private static func caExtensions(
        key: P256.Signing.PublicKey, issuer: CertificateAuthority?, extra: [Certificate.Extension]
    ) throws -> Certificate.Extensions {
        let own = SubjectKeyIdentifier(hash: Certificate.PublicKey(key)).keyIdentifier
        return try Certificate.Extensions {
            AuthorityKeyIdentifier(keyIdentifier: issuer.map { ArraySlice($0.keyIdentifier) } ?? own)
            SubjectKeyIdentifier(keyIdentifier: own)
            Critical(KeyUsage(keyCertSign: true))
            Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
            for item in extra { item }
        }
    }

    /// A positive 16-byte serial derived from `material`, so one key always gets one serial.
    private static func derivedSerial(_ material: [UInt8]) -> Certificate.SerialNumber {
        var bytes = Array(SHA256.hash(data: material).prefix(16))
        bytes[0] = (bytes[0] & 0x7F) | 0x01
        return Certificate.SerialNumber(bytes: bytes)
    }
}
