import ByteLayout
import TDXQuote

/// A TD quote produced by the TDX module's DICE quoting extension, in tsmfs's provisional layout
/// (``DICEQuoteLayout``): DCAP header and TD body, the quoting key's signature, and the DICE
/// certificate chain as certification data. Layout only: TDXSigning signs, `tsmfs verify` checks.
public struct DICEQuote: Equatable, Sendable {
    public var format: TDQuote.Format
    public var header: QuoteHeader
    public var body: TDReportBody
    /// ECDSA P-256 r ‖ s over ``signedBytes``.
    public var signature: [UInt8]
    /// The PEM certificates, leaf (quoting key) first.
    public var certificateChainPEM: [UInt8]

    public init(format: TDQuote.Format, header: QuoteHeader, body: TDReportBody, signature: [UInt8], certificateChainPEM: [UInt8])
    {
        self.format = format
        self.header = header
        self.body = body
        self.signature = signature
        self.certificateChainPEM = certificateChainPEM
    }

    /// Header ‖ framed body: what the quoting key signs.
    public var signedBytes: [UInt8] {
        get throws(LayoutError) { try TDQuote.signedBytes(header: header, format: format, body: body) }
    }

    public var bytes: [UInt8] {
        get throws(LayoutError) { Self.assemble(signedBytes: try signedBytes, signature: signature, chain: certificateChainPEM) }
    }

    /// signed part ‖ signature data length ‖ signature ‖ type 8 ‖ size ‖ chain.
    public static func assemble(signedBytes: [UInt8], signature: [UInt8], chain: [UInt8]) -> [UInt8] {
        head(signedBytes: signedBytes, signature: signature, chainLength: chain.count) + chain
    }

    /// Everything before the chain, so the chain can be stored once and shared.
    public static func head(signedBytes: [UInt8], signature: [UInt8], chainLength: Int) -> [UInt8] {
        var out = signedBytes
        out.appendLittleEndian(UInt32(signature.count + 6 + chainLength))
        out += signature
        out.appendLittleEndian(DICEQuoteLayout.certificationDataType)
        out.appendLittleEndian(UInt32(chainLength))
        return out
    }

    /// The quote's size for a chain of `chainLength` bytes.
    public static func size(format: TDQuote.Format, chainLength: Int) -> Int {
        QuoteHeader.size + (format.version == 5 ? 6 : 0) + format.bodyKind.size + 4 + DICEQuoteLayout.signatureLength + 6
            + chainLength
    }

    /// Parses a DICE quote, checking every length field against the bytes present.
    public init(parsing bytes: [UInt8]) throws(QuoteFormatError) {
        let signed = try TDQuote.parseSignedPart(bytes)
        (header, format, body) = (signed.header, signed.format, signed.body)
        var position = signed.length
        func take(_ count: Int) throws(QuoteFormatError) -> [UInt8] {
            guard count >= 0, count <= bytes.count - position else { throw .truncated(at: bytes.count) }
            defer { position += count }
            return Array(bytes[position..<position + count])
        }
        let declared = Int(try take(4).loadLittleEndian(UInt32.self, at: 0))
        guard declared == bytes.count - position else {
            throw .signatureDataLength(declared: declared, present: bytes.count - position)
        }
        signature = try take(DICEQuoteLayout.signatureLength)
        let type = try take(2).loadLittleEndian(UInt16.self, at: 0)
        guard type == DICEQuoteLayout.certificationDataType else { throw .notDICEChain(type: type) }
        let size = Int(try take(4).loadLittleEndian(UInt32.self, at: 0))
        guard size == bytes.count - position else {
            throw .certificationDataSize(type: type, declared: size, present: bytes.count - position)
        }
        certificateChainPEM = try take(size)
    }

    /// The certification data type a quote's signature data carries, read without parsing the
    /// rest: 6 for a QE-based quote, 8 for a DICE quote, `nil` if the bytes are not a quote.
    public static func certificationDataType(of bytes: [UInt8]) -> UInt16? {
        guard let signed = try? TDQuote.parseSignedPart(bytes) else { return nil }
        // QE quotes put 128 bytes (signature and attestation key) before the type; DICE quotes 64.
        let qeOffset = signed.length + 4 + 128
        let diceOffset = signed.length + 4 + DICEQuoteLayout.signatureLength
        if diceOffset + 2 <= bytes.count,
            bytes.loadLittleEndian(UInt16.self, at: diceOffset) == DICEQuoteLayout.certificationDataType
        {
            return DICEQuoteLayout.certificationDataType
        }
        guard qeOffset + 2 <= bytes.count else { return nil }
        return bytes.loadLittleEndian(UInt16.self, at: qeOffset)
    }
}
