import ProviderKit

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

    /// The bytes the attestation key signs: header and (framed) body.
    public var signedBytes: [UInt8] {
        var out = header.bytes
        if case .v5(let kind) = format {
            out.appendLittleEndian(kind.rawValue)
            out.appendLittleEndian(UInt32(kind.size))
        }
        return out + body.bytes(format.bodyKind)
    }

    /// The QE report certification data (type 6 payload).
    public var qeCertificationData: [UInt8] {
        Self.qeCertificationData(report: qeReport.bytes, signature: qeReportSignature,
                                 authData: qeAuthData, chain: pckCertificateChain)
    }

    static func qeCertificationData(report: [UInt8], signature: [UInt8], authData: [UInt8], chain: [UInt8]) -> [UInt8] {
        var out = report + signature
        out.appendLittleEndian(UInt16(authData.count))
        out += authData
        out.appendLittleEndian(certificationDataPCKChain)
        out.appendLittleEndian(UInt32(chain.count))
        return out + chain
    }

    /// The complete quote.
    public var bytes: [UInt8] {
        Array(Self.assemble(signedBytes: signedBytes, signature: signature, attestationKey: attestationKey,
                            qeCertificationData: qeCertificationData).joined())
    }

    /// The quote in two segments: everything up to the QE certification data, then that data
    /// (the part every quote from one attestation key shares).
    static func assemble(signedBytes: [UInt8], signature: [UInt8], attestationKey: [UInt8],
                         qeCertificationData: [UInt8]) -> [[UInt8]] {
        var head = signedBytes
        head.reserveCapacity(head.count + 4 + 128 + 6)
        head.appendLittleEndian(UInt32(128 + 6 + qeCertificationData.count))   // signature data length
        head += signature + attestationKey
        head.appendLittleEndian(certificationDataQEReport)
        head.appendLittleEndian(UInt32(qeCertificationData.count))
        return [head, qeCertificationData]
    }

    public init(format: Format, header: QuoteHeader, body: TDReportBody, signature: [UInt8], attestationKey: [UInt8],
                qeReport: EnclaveReport, qeReportSignature: [UInt8], qeAuthData: [UInt8], pckCertificateChain: [UInt8]) {
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
        var reader = ByteReader(bytes)
        header = try QuoteHeader(parsing: try reader.take(QuoteHeader.size))
        switch header.version {
        case 4:
            format = .v4
        case 5:
            let type = try reader.integer(UInt16.self)
            guard let kind = TDReportBody.Kind(rawValue: type) else {
                throw QuoteFormatError("unsupported v5 body type \(type)")
            }
            let size = try reader.integer(UInt32.self)
            guard size == kind.size else { throw QuoteFormatError("v5 body size \(size) does not match type \(type)") }
            format = .v5(kind)
        default:
            throw QuoteFormatError("unsupported quote version \(header.version)")
        }
        body = try TDReportBody(parsing: try reader.take(format.bodyKind.size)[...], kind: format.bodyKind)
        let signatureDataLength = Int(try reader.integer(UInt32.self))
        guard signatureDataLength == reader.remaining else {
            throw QuoteFormatError("signature data length \(signatureDataLength) but \(reader.remaining) bytes follow")
        }
        signature = try reader.take(64)
        attestationKey = try reader.take(64)
        guard try reader.integer(UInt16.self) == Self.certificationDataQEReport else {
            throw QuoteFormatError("certification data is not a QE report (type 6)")
        }
        guard Int(try reader.integer(UInt32.self)) == reader.remaining else {
            throw QuoteFormatError("QE certification data size does not match the bytes present")
        }
        qeReport = try EnclaveReport(parsing: try reader.take(EnclaveReport.size)[...])
        qeReportSignature = try reader.take(64)
        qeAuthData = try reader.take(Int(try reader.integer(UInt16.self)))
        guard try reader.integer(UInt16.self) == Self.certificationDataPCKChain else {
            throw QuoteFormatError("inner certification data is not a PCK chain (type 5)")
        }
        guard Int(try reader.integer(UInt32.self)) == reader.remaining else {
            throw QuoteFormatError("PCK chain size does not match the bytes present")
        }
        pckCertificateChain = try reader.take(reader.remaining)
    }
}

/// Sequential little-endian reading with bounds checks.
struct ByteReader {
    private let bytes: [UInt8]
    private var position = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var remaining: Int { bytes.count - position }

    mutating func take(_ count: Int) throws(QuoteFormatError) -> [UInt8] {
        guard count >= 0, count <= remaining else { throw QuoteFormatError("quote truncated at byte \(position)") }
        defer { position += count }
        return Array(bytes[position..<position + count])
    }

    mutating func integer<T: FixedWidthInteger>(_ type: T.Type) throws(QuoteFormatError) -> T {
        let raw = try take(MemoryLayout<T>.size)
        return raw.loadLittleEndian(T.self, at: 0)
    }
}
