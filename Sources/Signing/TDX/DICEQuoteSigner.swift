import ByteLayout
import CBOR
import DICEPKI
import SigningKeys
import SimulatedPKI
import TDXDICEQuote
import X509

/// What a DICE quote's signature covers and which key makes it: the **quoting key** of the
/// module's current quote initialisation (certified by the TDX module's DICE layer, under the
/// platform's DeviceID, under the DICE root) signs the COSE Sig_structure of the claims, ES384,
/// RFC 6979 — so a quote is a function of its claims and rebuilds byte for byte.
public struct DICEQuoteSigner: Sendable {
    public let quotingKey: P384SigningKey
    /// DER, end entity first: quoting key, module, DeviceID. The root is the verifier's own.
    public let certificates: [[UInt8]]
    /// Tags and both headers: the same for every quote this key signs, stored once.
    private let head: [UInt8]

    /// The content type the unprotected header names (EAT in a CWT).
    public static let contentType = "application/eat+cwt"
    /// The issuer claim.
    public static let issuer = "tsmfs simulated Intel TDX module"

    /// A quote initialisation (TDH.QUOTE.INIT) for `module`: a new quoting key and its chain.
    public init(pki: SimulatedDICEPKI, module identity: SimulatedDICEPKI.ModuleIdentity, generation: Int) throws {
        let module = try pki.module(identity)
        let (key, certificate) = try pki.quotingKey(under: module, generation: generation)
        quotingKey = key
        certificates = try [certificate, module.certificate, pki.deviceID.certificate].map(CertificateIssuer.der)
        // kid: the quoting key's Subject Key Identifier, so a verifier can tell keys apart at a glance.
        let keyID = Array(SubjectKeyIdentifier(hash: certificate.publicKey).keyIdentifier)
        head = DICEQuote.head(
            unprotectedHeader: DICEQuote.unprotectedHeader(
                keyID: keyID, contentType: Self.contentType, certificates: certificates))
    }

    /// The quote in two segments: the head every quote of this initialisation shares, then the
    /// signed payload and its signature.
    public func quoteSegments(claims: DICEClaims) throws -> Blob {
        var claims = claims
        claims.issuer = Self.issuer
        let payload = CBOREncoder.encode(try claims.payload())
        let signature = try quotingKey.rawSignature(
            for: DICEQuote.toBeSigned(protectedHeader: DICEQuote.protectedHeaderES384, payload: payload))
        return Blob(segments: [head, DICEQuote.tail(payload: payload, signature: signature)])
    }
}
