import ProviderKit

/// The Quoting Enclave's report (`sgx_report_body_t`, 384 bytes), signed by the PCK key.
public struct EnclaveReport: Equatable, Sendable {
    public static let size = 384

    /// Field offsets from the start of the report.
    public enum Offset {
        public static let cpuSVN = 0x000
        public static let miscSelect = 0x010
        public static let attributes = 0x030
        public static let mrEnclave = 0x040
        public static let mrSigner = 0x080
        public static let isvProdID = 0x100
        public static let isvSVN = 0x102
        public static let reportData = 0x140
    }

    public var cpuSVN = [UInt8](repeating: 0, count: 16)
    public var miscSelect: UInt32 = 0
    public var attributes = [UInt8](repeating: 0, count: 16)
    public var mrEnclave = [UInt8](repeating: 0, count: 32)
    public var mrSigner = [UInt8](repeating: 0, count: 32)
    public var isvProdID: UInt16 = 0
    public var isvSVN: UInt16 = 0
    public var reportData = [UInt8](repeating: 0, count: 64)

    public init() {}

    public var bytes: [UInt8] {
        var out = [UInt8](repeating: 0, count: Self.size)
        out.replaceSubrange(Offset.cpuSVN..<Offset.cpuSVN + 16, with: cpuSVN)
        out.storeLittleEndian(miscSelect, at: Offset.miscSelect)
        out.replaceSubrange(Offset.attributes..<Offset.attributes + 16, with: attributes)
        out.replaceSubrange(Offset.mrEnclave..<Offset.mrEnclave + 32, with: mrEnclave)
        out.replaceSubrange(Offset.mrSigner..<Offset.mrSigner + 32, with: mrSigner)
        out.storeLittleEndian(isvProdID, at: Offset.isvProdID)
        out.storeLittleEndian(isvSVN, at: Offset.isvSVN)
        out.replaceSubrange(Offset.reportData..<Offset.reportData + 64, with: reportData)
        return out
    }

    public init(parsing bytes: ArraySlice<UInt8>) throws(QuoteFormatError) {
        guard bytes.count == Self.size else { throw QuoteFormatError("QE report must be 384 bytes") }
        let report = Array(bytes)
        cpuSVN = Array(report[Offset.cpuSVN..<Offset.cpuSVN + 16])
        miscSelect = report.loadLittleEndian(UInt32.self, at: Offset.miscSelect)
        attributes = Array(report[Offset.attributes..<Offset.attributes + 16])
        mrEnclave = Array(report[Offset.mrEnclave..<Offset.mrEnclave + 32])
        mrSigner = Array(report[Offset.mrSigner..<Offset.mrSigner + 32])
        isvProdID = report.loadLittleEndian(UInt16.self, at: Offset.isvProdID)
        isvSVN = report.loadLittleEndian(UInt16.self, at: Offset.isvSVN)
        reportData = Array(report[Offset.reportData..<Offset.reportData + 64])
    }
}
