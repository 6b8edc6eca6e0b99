import ByteLayout
import Crypto
import DICEPKI
import SigningKeys
import SimulatedPKI
import TDXDICEQuote
import TDXQuote

/// What a DICE quote's signature covers and which key makes it: the **quoting key** of the
/// module's current quote initialisation (certified by the TDX module's DICE layer, under the
/// platform's DeviceID, under the DICE root) signs the header and framed body, RFC 6979.
public struct DICEQuoteSigner: Sendable {
    public let quotingKey: SigningKey
    /// PEM: quoting key, module, DeviceID, root.
    public let certificateChainPEM: [UInt8]

    public init(quotingKey: SigningKey, certificateChainPEM: [UInt8]) {
        self.quotingKey = quotingKey
        self.certificateChainPEM = certificateChainPEM
    }

    /// A quote initialisation (TDH.QUOTE.INIT) for `module`: a new quoting key and its chain.
    public init(pki: SimulatedDICEPKI, module identity: SimulatedDICEPKI.ModuleIdentity, generation: Int) throws {
        let module = try pki.module(identity)
        let (key, certificate) = try pki.quotingKey(under: module, generation: generation)
        let chain = try [certificate, module.certificate, pki.deviceID.certificate, pki.root.certificate].map(
            CertificateIssuer.pem)
        self.init(quotingKey: key, certificateChainPEM: Array(chain.joined().utf8))
    }

    /// The quote in two segments: what is unique to it, then the chain every quote of this
    /// initialisation shares.
    public func quoteSegments(body: TDReportBody, format: TDQuote.Format) throws -> Blob {
        var header = QuoteHeader(version: format.version)
        header.attestationKeyType = QuoteHeader.attestationKeyECDSAP256
        let signed = try TDQuote.signedBytes(header: header, format: format, body: body)
        let signature = Array(try quotingKey.signature(for: signed).rawRepresentation)
        let head = DICEQuote.head(signedBytes: signed, signature: signature, chainLength: certificateChainPEM.count)
        return Blob(segments: [head, certificateChainPEM])
    }
}
