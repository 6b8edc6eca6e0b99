import ByteLayout

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

    /// The byte-string fields.
    public enum Fields {
        public static let cpuSVN = Field("cpu_svn", at: Offset.cpuSVN, width: 16)
        public static let attributes = Field("attributes", at: Offset.attributes, width: 16)
        public static let mrEnclave = Field("mr_enclave", at: Offset.mrEnclave, width: 32)
        public static let mrSigner = Field("mr_signer", at: Offset.mrSigner, width: 32)
        public static let reportData = Field("report_data", at: Offset.reportData, width: 64)
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

    /// The 384 bytes; a byte-string field of the wrong width is an error naming it.
    public var bytes: [UInt8] {
        get throws(LayoutError) {
            var out = [UInt8](repeating: 0, count: Self.size)
            try out.write(cpuSVN, to: Fields.cpuSVN)
            out.storeLittleEndian(miscSelect, at: Offset.miscSelect)
            try out.write(attributes, to: Fields.attributes)
            try out.write(mrEnclave, to: Fields.mrEnclave)
            try out.write(mrSigner, to: Fields.mrSigner)
            out.storeLittleEndian(isvProdID, at: Offset.isvProdID)
            out.storeLittleEndian(isvSVN, at: Offset.isvSVN)
            try out.write(reportData, to: Fields.reportData)
            return out
        }
    }

    public init(parsing bytes: some Collection<UInt8>) throws(QuoteFormatError) {
        let report = Array(bytes)
        guard report.count == Self.size else { throw .truncated(at: report.count) }
        cpuSVN = report.read(Fields.cpuSVN)
        miscSelect = report.loadLittleEndian(UInt32.self, at: Offset.miscSelect)
        attributes = report.read(Fields.attributes)
        mrEnclave = report.read(Fields.mrEnclave)
        mrSigner = report.read(Fields.mrSigner)
        isvProdID = report.loadLittleEndian(UInt16.self, at: Offset.isvProdID)
        isvSVN = report.loadLittleEndian(UInt16.self, at: Offset.isvSVN)
        reportData = report.read(Fields.reportData)
    }
}
