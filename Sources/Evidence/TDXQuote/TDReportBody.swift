import ByteLayout

/// The TD quote body: `sgx_report2_body_t` (TDX 1.0, 584 bytes) or its TDX 1.5 extension
/// (648 bytes: TEE_TCB_SVN2 and MRSERVICETD appended).
public struct TDReportBody: Equatable, Sendable {
    public static let sizeTDX10 = 584
    public static let sizeTDX15 = 648

    /// Field offsets from the start of the body.
    public enum Offset {
        public static let teeTCBSVN = 0x000
        public static let mrSeam = 0x010
        public static let mrSignerSeam = 0x040
        public static let seamAttributes = 0x070
        public static let tdAttributes = 0x078
        public static let xfam = 0x080
        public static let mrTD = 0x088
        public static let mrConfigID = 0x0B8
        public static let mrOwner = 0x0E8
        public static let mrOwnerConfig = 0x118
        public static let rtmr0 = 0x148
        public static let reportData = 0x208
        public static let teeTCBSVN2 = 0x248
        public static let mrServiceTD = 0x258
    }

    /// The body flavour, as quote v5 names it in its body type field.
    public enum Kind: UInt16, Sendable, CaseIterable {
        case tdx10 = 2
        case tdx15 = 3

        public var size: Int { self == .tdx10 ? TDReportBody.sizeTDX10 : TDReportBody.sizeTDX15 }
    }

    public var teeTCBSVN = [UInt8](repeating: 0, count: 16)
    public var mrSeam = [UInt8](repeating: 0, count: 48)
    public var mrSignerSeam = [UInt8](repeating: 0, count: 48)
    public var seamAttributes = [UInt8](repeating: 0, count: 8)
    public var tdAttributes = [UInt8](repeating: 0, count: 8)
    public var xfam = [UInt8](repeating: 0, count: 8)
    public var mrTD = [UInt8](repeating: 0, count: 48)
    public var mrConfigID = [UInt8](repeating: 0, count: 48)
    public var mrOwner = [UInt8](repeating: 0, count: 48)
    public var mrOwnerConfig = [UInt8](repeating: 0, count: 48)
    /// RTMR0…RTMR3, 48 bytes each.
    public var rtmrs = [[UInt8]](repeating: [UInt8](repeating: 0, count: 48), count: 4)
    public var reportData = [UInt8](repeating: 0, count: 64)
    /// TDX 1.5 only.
    public var teeTCBSVN2 = [UInt8](repeating: 0, count: 16)
    /// TDX 1.5 only.
    public var mrServiceTD = [UInt8](repeating: 0, count: 48)

    public init() {}

    /// Every field in layout order: its place, and where the value lives in this type. Built once:
    /// key paths cost an instantiation each time a literal is evaluated.
    private static let layout: [(Field, WritableKeyPath<TDReportBody, [UInt8]> & Sendable)] = {
        [
            (Field("tee_tcb_svn", at: Offset.teeTCBSVN, width: 16), \.teeTCBSVN),
            (Field("mr_seam", at: Offset.mrSeam, width: 48), \.mrSeam),
            (Field("mr_signer_seam", at: Offset.mrSignerSeam, width: 48), \.mrSignerSeam),
            (Field("seam_attributes", at: Offset.seamAttributes, width: 8), \.seamAttributes),
            (Field("td_attributes", at: Offset.tdAttributes, width: 8), \.tdAttributes),
            (Field("xfam", at: Offset.xfam, width: 8), \.xfam),
            (Field("mr_td", at: Offset.mrTD, width: 48), \.mrTD),
            (Field("mr_config_id", at: Offset.mrConfigID, width: 48), \.mrConfigID),
            (Field("mr_owner", at: Offset.mrOwner, width: 48), \.mrOwner),
            (Field("mr_owner_config", at: Offset.mrOwnerConfig, width: 48), \.mrOwnerConfig),
            (Field("rtmr0", at: Offset.rtmr0, width: 48), \.rtmrs[0]),
            (Field("rtmr1", at: Offset.rtmr0 + 48, width: 48), \.rtmrs[1]),
            (Field("rtmr2", at: Offset.rtmr0 + 96, width: 48), \.rtmrs[2]),
            (Field("rtmr3", at: Offset.rtmr0 + 144, width: 48), \.rtmrs[3]),
            (Field("report_data", at: Offset.reportData, width: 64), \.reportData),
            (Field("tee_tcb_svn2", at: Offset.teeTCBSVN2, width: 16), \.teeTCBSVN2),
            (Field("mr_servicetd", at: Offset.mrServiceTD, width: 48), \.mrServiceTD),
        ]
    }()

    /// Serialises the body of the given kind; a field of the wrong width is an error naming it.
    public func bytes(_ kind: Kind) throws(LayoutError) -> [UInt8] {
        guard rtmrs.count == 4 else { throw .wrongWidth(field: "rtmrs (registers)", expected: 4, actual: rtmrs.count) }
        var out = [UInt8](repeating: 0, count: kind.size)
        for (field, value) in Self.layout where field.range.upperBound <= kind.size {
            try out.write(self[keyPath: value], to: field)
        }
        return out
    }

    public init(parsing bytes: some Collection<UInt8>, kind: Kind) throws(QuoteFormatError) {
        let body = Array(bytes)
        guard body.count == kind.size else { throw .truncated(at: body.count) }
        self.init()
        for (field, value) in Self.layout where field.range.upperBound <= kind.size {
            self[keyPath: value] = body.read(field)
        }
    }
}
