import Crypto
import Foundation
import SigningKeys
import SimulatedPKI
import SwiftASN1
import X509

/// The simulated DICE chain of a TDX platform with the quoting extension, on P-384 with
/// ecdsa-with-SHA384 as Intel's DICE hierarchy is: a DICE root CA (the profile of Intel's
/// "DCP DICE Global Root CA" with its own key and a name that says it is simulated) → the
/// platform's DeviceID (tcg-dice-Ueid) → the TDX module (tcg-dice-TcbInfo: SVN, FWID = MRSEAM) →
/// the quoting key, renewed at every quote initialisation. Root and DeviceID keys are kept in the
/// key store; the module's key is derived from the DeviceID key and the module's identity, as a
/// DICE layer derives its CDI, so an updated module gets a new key and certificate.
public struct SimulatedDICEPKI: Sendable {
    /// A certificate authority of this chain and its P-384 key.
    public struct Authority: Sendable {
        public let certificate: Certificate
        public let key: P384SigningKey

        public var keyIdentifier: [UInt8] { Array(SubjectKeyIdentifier(hash: certificate.publicKey).keyIdentifier) }
    }

    public let root: Authority
    public let deviceID: Authority
    /// The platform's UEID, in the DeviceID certificate.
    public let ueid: [UInt8]
    private let deviceSecret: [UInt8]
    private let seed: [UInt8]?

    public static let rootCommonName = "tsmfs Simulated DICE Root CA"
    public static let rootOrganization = "tsmfs simulation (not Digital Content Protection LLC)"
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
        // `tsmfs roots` exports is the one every quote's chain leads to.
        let rootKey = P384SigningKey(try store.p384Key("dice-root-ca-p384"), deterministic: true)
        let deviceKey = P384SigningKey(try store.p384Key("dice-device-id-p384"), deterministic: true)
        let ueid = [0x01] + Array(SHA256.hash(data: platformIdentity))
        let rootName = try DistinguishedName {
            CountryName("US")
            StateOrProvinceName("OR")
            LocalityName("Beaverton")
            OrganizationName(rootOrganization)
            OrganizationalUnitName("simulated DICE root of trust")
            CommonName(rootCommonName)
        }
        let rootIdentifier = keyIdentifier(rootKey.publicKey)
        let root = Authority(
            certificate: try Certificate(
                version: .v3, serialNumber: Certificate.SerialNumber(bytes: [1]),
                publicKey: Certificate.PublicKey(rootKey.publicKey),
                notValidBefore: rootNotValidBefore, notValidAfter: rootNotValidAfter, issuer: rootName, subject: rootName,
                signatureAlgorithm: .ecdsaWithSHA384,
                extensions: try Certificate.Extensions {
                    AuthorityKeyIdentifier(keyIdentifier: ArraySlice(rootIdentifier))
                    SubjectKeyIdentifier(keyIdentifier: ArraySlice(rootIdentifier))
                    Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
                    Critical(KeyUsage(keyCertSign: true, cRLSign: true))
                }, issuerPrivateKey: rootKey.certificatePrivateKey),
            key: rootKey)
        let device = Authority(
            certificate: try issue(
                subject: deviceIDCommonName, key: deviceKey.publicKey, issuer: root,
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
    public func module(_ identity: ModuleIdentity) throws -> Authority {
        let key = P384SigningKey(
            try Self.derivedKey(
                secret: deviceSecret, salt: "tsmfs DICE TDX module CDI",
                info: [identity.svn, identity.majorVersion] + identity.mrSeam),
            deterministic: true)
        let certificate = try Self.issue(
            subject: Self.moduleCommonName, key: key.publicKey, issuer: deviceID,
            serial: Self.derivedSerial(Array("module".utf8) + identity.mrSeam + [identity.svn]),
            extensions: try Self.caExtensions(
                key: key.publicKey, issuer: deviceID, extra: [try identity.tcbInfo.certificateExtension()]))
        return Authority(certificate: certificate, key: key)
    }

    /// A new quoting key's certificate under `module`. Keys are fresh unless the store is seeded;
    /// then the `generation`-th initialisation always gives the same key.
    public func quotingKey(under module: Authority, generation: Int) throws -> (key: P384SigningKey, certificate: Certificate) {
        let key: P384SigningKey
        if let seed {
            key = P384SigningKey(
                try Self.derivedKey(
                    secret: seed, salt: "tsmfs DICE quoting key", info: Array("\(generation)".utf8) + module.keyIdentifier),
                deterministic: true)
        } else {
            key = P384SigningKey(P384.Signing.PrivateKey(), deterministic: true)
        }
        let extensions = try Certificate.Extensions {
            AuthorityKeyIdentifier(keyIdentifier: ArraySlice(module.keyIdentifier))
            SubjectKeyIdentifier(keyIdentifier: ArraySlice(Self.keyIdentifier(key.publicKey)))
            Critical(KeyUsage(digitalSignature: true))
            Critical(BasicConstraints.notCertificateAuthority)
        }
        let certificate = try Self.issue(
            subject: Self.quotingKeyCommonName, key: key.publicKey, issuer: module,
            serial: Self.derivedSerial(Array(key.publicKey.rawRepresentation)), extensions: extensions)
        return (key, certificate)
    }

    /// The root's window is that of Intel's DICE root (to the end of year 9999); the rest share the
    /// window of the other simulated roots.
    static let rootNotValidBefore = Date(timeIntervalSince1970: 1_667_865_600)  // 2022-11-08
    static let rootNotValidAfter = Date(timeIntervalSince1970: 253_402_300_799)  // 9999-12-31T23:59:59Z
    static let notValidBefore = Date(timeIntervalSince1970: 1_735_689_600)  // 2025-01-01
    static let notValidAfter = Date(timeIntervalSince1970: 2_524_607_999)  // 2049-12-31

    /// A P-384 key from `secret`, as a DICE layer derives its key from its CDI.
    private static func derivedKey(secret: [UInt8], salt: String, info: [UInt8]) throws -> P384.Signing.PrivateKey {
        // Almost every 48-byte string is a valid scalar; the counter only guards the rare one that is not.
        for counter in UInt8(0)...UInt8(255) {
            let material = HKDF<SHA384>.deriveKey(
                inputKeyMaterial: SymmetricKey(data: secret), salt: Array(salt.utf8), info: info + [counter], outputByteCount: 48)
            if let key = try? material.withUnsafeBytes({ try P384.Signing.PrivateKey(rawRepresentation: $0) }) { return key }
        }
        throw CryptoKitError.incorrectParameterSize
    }

    private static func keyIdentifier(_ key: P384.Signing.PublicKey) -> [UInt8] {
        Array(SubjectKeyIdentifier(hash: Certificate.PublicKey(key)).keyIdentifier)
    }

    private static func issue(
        subject: String, key: P384.Signing.PublicKey, issuer: Authority, serial: Certificate.SerialNumber,
        extensions: Certificate.Extensions
    ) throws -> Certificate {
        try Certificate(
            version: .v3, serialNumber: serial, publicKey: Certificate.PublicKey(key), notValidBefore: notValidBefore,
            notValidAfter: notValidAfter, issuer: issuer.certificate.subject,
            subject: try DistinguishedName {
                CountryName("US")
                OrganizationName("tsmfs simulated Intel")
                CommonName(subject)
            }, signatureAlgorithm: .ecdsaWithSHA384, extensions: extensions, issuerPrivateKey: issuer.key.certificatePrivateKey)
    }

    private static func caExtensions(
        key: P384.Signing.PublicKey, issuer: Authority, extra: [Certificate.Extension]
    ) throws -> Certificate.Extensions {
        try Certificate.Extensions {
            AuthorityKeyIdentifier(keyIdentifier: ArraySlice(issuer.keyIdentifier))
            SubjectKeyIdentifier(keyIdentifier: ArraySlice(keyIdentifier(key)))
            Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
            Critical(KeyUsage(keyCertSign: true, cRLSign: true))
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
