import ByteLayout

/// TDREPORT_STRUCT (1024 bytes): what `TDG.MR.REPORT` returns and `/dev/tdx_guest`'s
/// TDX_CMD_GET_REPORT0 hands the guest. REPORTMACSTRUCT (256) ‖ TEE_TCB_INFO (239) ‖ 17 reserved
/// ‖ TDINFO (512). Remote verifiers never see it: a quote body copies its fields, so the TD part
/// is expressed as the ``TDReportBody`` a quote generated from this report would carry.
public struct TDReport: Equatable, Sendable {
    public static let size = 1024

    /// Offsets from the start of the report (Intel TDX Module ABI, TDREPORT_STRUCT).
    public enum Offset {
        public static let reportType = 0x000
        public static let cpuSVN = 0x010
        public static let teeTCBInfoHash = 0x020
        public static let teeInfoHash = 0x050
        public static let reportData = 0x080
        public static let mac = 0x0E0
        public static let teeTCBInfo = 0x100
        public static let tdInfo = 0x200
    }

    /// The fields of the report, each with its absolute place.
    public enum Fields {
        public static let reportType = Field("report_type", at: Offset.reportType, width: 4)
        public static let cpuSVN = Field("cpu_svn", at: Offset.cpuSVN, width: 16)
        public static let teeTCBInfoHash = Field("tee_tcb_info_hash", at: Offset.teeTCBInfoHash, width: 48)
        public static let teeInfoHash = Field("tee_info_hash", at: Offset.teeInfoHash, width: 48)
        public static let reportData = Field("report_data", at: Offset.reportData, width: 64)
        public static let mac = Field("mac", at: Offset.mac, width: 32)
        /// The MAC covers REPORTMACSTRUCT up to the MAC itself.
        public static let macCoverage = Field("report_mac_struct_body", at: 0, width: Offset.mac)
        public static let teeTCBInfo = Field("tee_tcb_info", at: Offset.teeTCBInfo, width: 239)
        public static let tdInfo = Field("td_info", at: Offset.tdInfo, width: 512)

        // TEE_TCB_INFO, absolute.
        public static let valid = Field("tee_tcb_info.valid", at: 0x100, width: 8)
        public static let teeTCBSVN = Field("tee_tcb_info.tee_tcb_svn", at: 0x108, width: 16)
        public static let mrSeam = Field("tee_tcb_info.mr_seam", at: 0x118, width: 48)
        public static let mrSignerSeam = Field("tee_tcb_info.mr_signer_seam", at: 0x148, width: 48)
        public static let seamAttributes = Field("tee_tcb_info.attributes", at: 0x178, width: 8)
        public static let teeTCBSVN2 = Field("tee_tcb_info.tee_tcb_svn2", at: 0x180, width: 16)

        // TDINFO, absolute.
        public static let tdAttributes = Field("td_info.attributes", at: 0x200, width: 8)
        public static let xfam = Field("td_info.xfam", at: 0x208, width: 8)
        public static let mrTD = Field("td_info.mr_td", at: 0x210, width: 48)
        public static let mrConfigID = Field("td_info.mr_config_id", at: 0x240, width: 48)
        public static let mrOwner = Field("td_info.mr_owner", at: 0x270, width: 48)
        public static let mrOwnerConfig = Field("td_info.mr_owner_config", at: 0x2A0, width: 48)
        /// RTMR0…RTMR3 at 0x2D0, 0x300, 0x330, 0x360 (720/768/816/864).
        public static let rtmrs = (0..<4).map { Field("td_info.rtmr\($0)", at: 0x2D0 + 48 * $0, width: 48) }
        public static let servTDHash = Field("td_info.servtd_hash", at: 0x390, width: 48)
    }

    /// REPORTTYPE.type for TDX (0x00 is SGX).
    public static let teeTypeTDX: UInt8 = 0x81
    /// TEE_TCB_INFO.VALID: VALID, TEE_TCB_SVN and MRSEAM (TDX 1.0), plus TEE_TCB_SVN2 (TDX 1.5).
    public static let validTDX10: UInt64 = 0x1FF
    public static let validTDX15: UInt64 = 0x301FF

    /// REPORTTYPE.version: 0, or 1 when TDINFO.SERVTD_HASH is used (TDX 1.5).
    public var reportVersion: UInt8 = 0
    public var cpuSVN = [UInt8](repeating: 0, count: 16)
    public var teeTCBInfoHash = [UInt8](repeating: 0, count: 48)
    public var teeInfoHash = [UInt8](repeating: 0, count: 48)
    public var mac = [UInt8](repeating: 0, count: 32)
    public var validFields: UInt64 = Self.validTDX10
    /// The TD and module fields, as a quote body carries them (REPORTDATA included).
    public var body = TDReportBody()

    public init() {}

    /// Where TDREPORT keeps each field of ``body``, in ``TDReportBody/fields`` order.
    static let bodyFields: [Field] =
        [
            Fields.teeTCBSVN, Fields.mrSeam, Fields.mrSignerSeam, Fields.seamAttributes, Fields.tdAttributes, Fields.xfam,
            Fields.mrTD, Fields.mrConfigID, Fields.mrOwner, Fields.mrOwnerConfig,
        ] + Fields.rtmrs + [Fields.reportData, Fields.teeTCBSVN2, Fields.servTDHash]

    /// The 1024 bytes; a field of the wrong width is an error naming it.
    public var bytes: [UInt8] {
        get throws(LayoutError) {
            try TDReportBody.checkRegisterCount(body.rtmrs)
            var out = [UInt8](repeating: 0, count: Self.size)
            try out.write([Self.teeTypeTDX, 0, reportVersion, 0], to: Fields.reportType)
            try out.write(cpuSVN, to: Fields.cpuSVN)
            try out.write(teeTCBInfoHash, to: Fields.teeTCBInfoHash)
            try out.write(teeInfoHash, to: Fields.teeInfoHash)
            try out.write(mac, to: Fields.mac)
            out.storeLittleEndian(validFields, at: Fields.valid.offset)
            let bodyFields = Self.bodyFields
            try body.forEachFieldValue { (index, value) throws(LayoutError) in try out.write(value, to: bodyFields[index]) }
            return out
        }
    }

    public init(parsing bytes: some Collection<UInt8>) throws(QuoteFormatError) {
        let report = Array(bytes)
        guard report.count == Self.size else { throw .truncated(at: report.count) }
        self.init()
        reportVersion = report[Offset.reportType + 2]
        cpuSVN = report.read(Fields.cpuSVN)
        teeTCBInfoHash = report.read(Fields.teeTCBInfoHash)
        teeInfoHash = report.read(Fields.teeInfoHash)
        mac = report.read(Fields.mac)
        validFields = report.loadLittleEndian(UInt64.self, at: Fields.valid.offset)
        body = TDReportBody(fieldValues: Self.bodyFields.map { report.read($0) })
    }
}
