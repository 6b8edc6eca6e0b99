import ByteLayout

/// An Intel DCAP TD quote, version 4 or 5, with ECDSA-P256 signature data carrying a QE
/// report and a PEM PCK certificate chain (certification data types 6 and 5).
///
/// Layout (all integers little-endian, ECDSA values big-endian r‖s and X‖Y):
/// header(48) ‖ [v5: body type u16 ‖ body size u32] ‖ body ‖ signature data length u32 ‖
/// signature(64) ‖ attestation key(64) ‖ type 6 u16 ‖ size u32 ‖ QE report(384) ‖
/// QE report signature(64) ‖ auth data size u16 ‖ auth data ‖ type 5 u16 ‖ size u32 ‖ PEM chain.
public struct TDQuote: Equatable, Sendable {
    /// How the body is framed.
    public enum Format: Equatable, Sendable {
        /// Version 4: a TDX 1.0 body right after the header.
        case v4
        /// Version 5: a typed, sized body of either flavour.
        case v5(TDReportBody.Kind)

        public var version: UInt16 { self == .v4 ? 4 : 5 }
        public var bodyKind: TDReportBody.Kind {
            if case .v5(let kind) = self { return kind }
            return .tdx10
        }
    }

    /// Certification data type of a QE report with its own certification data.
    public static let certificationDataQEReport: UInt16 = 6
    /// Certification data type of a PEM PCK certificate chain.
    public static let certificationDataPCKChain: UInt16 = 5

    public var format: Format
    public var header: QuoteHeader
    public var body: TDReportBody
    public var signature: [UInt8]
    public var attestationKey: [UInt8]
    public var qeReport: EnclaveReport
    public var qeReportSignature: [UInt8]
    public var qeAuthData: [UInt8]
    public var pckCertificateChain: [UInt8]

    /// The ECDSA values: signatures r‖s and the attestation key X‖Y.
    public enum Fields {
        public static let signature = Field("signature", at: 0, width: 64)
        public static let attestationKey = Field("attestation_key", at: 0, width: 64)
        public static let qeReportSignature = Field("qe_report_signature", at: 0, width: 64)
    }

    /// The bytes the attestation key signs: header and (framed) body.
    public var signedBytes: [UInt8] {
        get throws(LayoutError) { try Self.signedBytes(header: header, format: format, body: body) }
    }

    /// Header ‖ [v5: body type ‖ body size] ‖ body: the part every quote format built on DCAP's
    /// header signs (the QE-based quote here, the DICE quote in TDXDICEQuote).
    public static func signedBytes(header: QuoteHeader, format: Format, body: TDReportBody) throws(LayoutError) -> [UInt8] {
        // One buffer, the body written into its place: no array per part.
        let bodyStart = bodyOffset(format)
        // Zeros, with room for what ``assemble`` appends.
        let size = bodyStart + format.bodyKind.size
        var out = [UInt8](unsafeUninitializedCapacity: size + signatureDataHeadSize) { buffer, count in
            buffer.baseAddress!.initialize(repeating: 0, count: size)
            count = size
        }
        let headerBytes = try header.bytes
        out.withUnsafeMutableBytes { buffer in
            headerBytes.withUnsafeBytes { buffer.copyMemory(from: $0) }
        }
        if case .v5(let kind) = format {
            out.storeLittleEndian(kind.rawValue, at: QuoteHeader.size)
            out.storeLittleEndian(UInt32(kind.size), at: QuoteHeader.size + 2)
        }
        try body.write(format.bodyKind, into: &out, at: bodyStart)
        return out
    }

    /// Where the body starts in a quote of this format: after the header, and in version 5 after
    /// the body's type and size.
    static func bodyOffset(_ format: Format) -> Int {
        if case .v5 = format { return QuoteHeader.size + 6 }
        return QuoteHeader.size
    }

    /// Parses the signed part of a quote (header and framed body); returns it with its length.
    public static func parseSignedPart(_ bytes: [UInt8]) throws(QuoteFormatError) -> (
        header: QuoteHeader, format: Format, body: TDReportBody, length: Int
    ) {
        var reader = ByteReader(bytes)
        let header = try QuoteHeader(parsing: try reader.take(QuoteHeader.size))
        let format: Format
        switch header.version {
        case 4:
            format = .v4
        case 5:
            let type = try reader.integer(UInt16.self)
            guard let kind = TDReportBody.Kind(rawValue: type) else { throw .unsupportedBodyType(type) }
            let size = try reader.integer(UInt32.self)
            guard size == kind.size else { throw .bodySizeMismatch(type: type, size: size) }
            format = .v5(kind)
        default:
            throw .unsupportedVersion(header.version)
        }
        let body = try TDReportBody(parsing: try reader.take(format.bodyKind.size), kind: format.bodyKind)
        return (header, format, body, reader.position)
    }

    /// The QE report certification data (type 6 payload).
    public var qeCertificationData: [UInt8] {
        get throws(LayoutError) {
            try Self.qeCertificationData(
                report: try qeReport.bytes, signature: qeReportSignature,
                authData: qeAuthData, chain: pckCertificateChain)
        }
    }

    /// The type 6 payload: QE report, its signature by the PCK, the QE authentication data and
    /// the nested type 5 PEM chain. Every quote from one attestation key carries the same.
    public static func qeCertificationData(
        report: [UInt8], signature: [UInt8], authData: [UInt8],
        chain: [UInt8]
    ) throws(LayoutError) -> [UInt8] {
        try checkWidth(signature, of: Fields.qeReportSignature)
        var out = report + signature
        out.appendLittleEndian(UInt16(authData.count))
        out += authData
        out.appendLittleEndian(certificationDataPCKChain)
        out.appendLittleEndian(UInt32(chain.count))
        return out + chain
    }

    /// The complete quote.
    public var bytes: [UInt8] {
        get throws(LayoutError) {
            Array(
                try Self.assemble(
                    signedBytes: try signedBytes, signature: signature, attestationKey: attestationKey,
                    qeCertificationData: try qeCertificationData
                ).joined())
        }
    }

    /// What follows the signed bytes before the shared certification data: the signature data
    /// length, the signature, the attestation key, the certification data type and its length.
    static var signatureDataHeadSize: Int { 4 + 64 + 64 + 2 + 4 }

    /// The quote in two segments: everything up to the QE certification data, then that data
    /// (the part every quote from one attestation key shares).
    public static func assemble(
        signedBytes: consuming [UInt8], signature: [UInt8], attestationKey: [UInt8],
        qeCertificationData: [UInt8]
    ) throws(LayoutError) -> [[UInt8]] {
        try checkWidth(signature, of: Fields.signature)
        try checkWidth(attestationKey, of: Fields.attestationKey)
        // The signed bytes grow in place: ``signedBytes(header:format:body:)`` leaves room for this.
        var head = signedBytes
        head.reserveCapacity(head.count + signatureDataHeadSize)
        head.appendLittleEndian(UInt32(128 + 6 + qeCertificationData.count))  // signature data length
        head += signature
        head += attestationKey
        head.appendLittleEndian(certificationDataQEReport)
        head.appendLittleEndian(UInt32(qeCertificationData.count))
        return [head, qeCertificationData]
    }

    public init(
        format: Format, header: QuoteHeader, body: TDReportBody, signature: [UInt8], attestationKey: [UInt8],
        qeReport: EnclaveReport, qeReportSignature: [UInt8], qeAuthData: [UInt8], pckCertificateChain: [UInt8]
    ) {
        self.format = format
        self.header = header
        self.body = body
        self.signature = signature
        self.attestationKey = attestationKey
        self.qeReport = qeReport
        self.qeReportSignature = qeReportSignature
        self.qeAuthData = qeAuthData
        self.pckCertificateChain = pckCertificateChain
    }

    /// Parses a quote, checking every length field against the bytes present, as verifiers do.
    public init(parsing bytes: [UInt8]) throws(QuoteFormatError) {
        let signed = try Self.parseSignedPart(bytes)
        (header, format, body) = (signed.header, signed.format, signed.body)
        var reader = ByteReader(bytes[signed.length...])
        let signatureDataLength = Int(try reader.integer(UInt32.self))
        guard signatureDataLength == reader.remaining else {
            throw .signatureDataLength(declared: signatureDataLength, present: reader.remaining)
        }
        signature = try reader.take(64)
        attestationKey = try reader.take(64)
        let outerType = try reader.integer(UInt16.self)
        guard outerType == Self.certificationDataQEReport else { throw .notQEReportCertification(type: outerType) }
        let outerSize = Int(try reader.integer(UInt32.self))
        guard outerSize == reader.remaining else {
            throw .certificationDataSize(type: outerType, declared: outerSize, present: reader.remaining)
        }
        qeReport = try EnclaveReport(parsing: try reader.take(EnclaveReport.size))
        qeReportSignature = try reader.take(64)
        qeAuthData = try reader.take(Int(try reader.integer(UInt16.self)))
        let innerType = try reader.integer(UInt16.self)
        guard innerType == Self.certificationDataPCKChain else { throw .notPCKChain(type: innerType) }
        let innerSize = Int(try reader.integer(UInt32.self))
        guard innerSize == reader.remaining else {
            throw .certificationDataSize(type: innerType, declared: innerSize, present: reader.remaining)
        }
        pckCertificateChain = try reader.take(reader.remaining)
    }
}
