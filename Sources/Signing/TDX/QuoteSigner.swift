import ByteLayout
import Crypto
import SigningKeys
import TDXQuote

/// What a TDX quote's signatures cover, and which key makes each — in one place:
///
/// * the **PCK** (the platform's key, certified by the Platform CA under the root) signs the QE
///   report, whose REPORTDATA is SHA-256(attestation public key ‖ QE authentication data) padded
///   with zeros: it vouches for the attestation key;
/// * the **attestation key** (per boot) signs the quote's header and framed body.
///
/// Everything that depends only on the attestation key — the QE report, its PCK signature and
/// the PCK chain — is computed once here, so each quote costs one P-256 signature.
public struct QuoteSigner: Sendable {
    public let attestationPublicKey: [UInt8]
    private let attestationKey: SigningKey
    /// The QE report, its PCK signature, the QE authentication data and the PCK chain, laid out
    /// once: every quote ends with these bytes.
    private let qeCertificationData: [UInt8]

    /// The QE authentication data Intel's QE emits: the bytes 0x00…0x1F.
    public static let defaultQEAuthData: [UInt8] = Array(0..<32)

    /// - Parameters:
    ///   - attestationKey: the per-boot attestation key that signs quotes.
    ///   - pckKey: the platform's PCK key, which signs the QE report.
    ///   - qeReport: the QE report; its REPORTDATA is replaced by the attestation key binding.
    ///   - pckCertificateChain: PEM of PCK leaf, Platform CA and root, in that order.
    public init(
        attestationKey: SigningKey, pckKey: SigningKey, qeReport: EnclaveReport,
        pckCertificateChain: [UInt8], qeAuthData: [UInt8] = QuoteSigner.defaultQEAuthData
    ) throws {
        let publicKey = Array(attestationKey.publicKey.rawRepresentation)
        var report = qeReport
        report.reportData = Array(SHA256.hash(data: publicKey + qeAuthData)) + [UInt8](repeating: 0, count: 32)
        let reportSignature = Array(try pckKey.signature(for: try report.bytes).rawRepresentation)
        // Quotes are signed one per request for as long as the TD runs.
        self.attestationKey = attestationKey.presigning()
        self.attestationPublicKey = publicKey
        self.qeCertificationData = try TDQuote.qeCertificationData(
            report: try report.bytes, signature: reportSignature,
            authData: qeAuthData, chain: pckCertificateChain)
    }

    /// A signed quote of `body` in `format`.
    public func quote(body: TDReportBody, format: TDQuote.Format, header: QuoteHeader? = nil) throws -> [UInt8] {
        try quoteSegments(body: body, format: format, header: header).bytes
    }

    /// The same quote as two segments: what is unique to it, then the certification data every
    /// quote from this attestation key shares (stored once, however many quotes are cached).
    public func quoteSegments(body: TDReportBody, format: TDQuote.Format, header: QuoteHeader? = nil) throws -> Blob {
        try signedQuote(body: body, format: format, header: header).quote
    }

    /// A quote and its attestation-key signature (r‖s). Given `signature` — the one an earlier
    /// quote of the same body carried — the quote is rebuilt with it instead of signed again, so a
    /// randomly-nonced quote can be rebuilt byte for byte.
    public func signedQuote(
        body: TDReportBody, format: TDQuote.Format, header: QuoteHeader? = nil, reusing signature: [UInt8]? = nil
    ) throws -> (quote: Blob, signature: [UInt8]) {
        var quoteHeader = header ?? QuoteHeader(version: format.version)
        quoteHeader.version = format.version
        return try signedQuote(
            signedBytes: try TDQuote.signedBytes(header: quoteHeader, format: format, body: body), reusing: signature)
    }

    /// The same from a signed part already laid out (a ``TDQuote/SignedPartTemplate``'s).
    public func signedQuote(signedBytes signed: consuming [UInt8], reusing signature: [UInt8]? = nil) throws -> (
        quote: Blob, signature: [UInt8]
    ) {
        let signature = try signature ?? attestationKey.rawSignature(for: signed)
        let quote = Blob(
            segments: try TDQuote.assemble(
                signedBytes: signed, signature: signature,
                attestationKey: attestationPublicKey,
                qeCertificationData: qeCertificationData))
        return (quote, signature)
    }
}
