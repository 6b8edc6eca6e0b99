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

    public var teeTCBSVN = Zero.bytes16
    public var mrSeam = Zero.bytes48
    public var mrSignerSeam = Zero.bytes48
    public var seamAttributes = Zero.bytes8
    public var tdAttributes = Zero.bytes8
    public var xfam = Zero.bytes8
    public var mrTD = Zero.bytes48
    public var mrConfigID = Zero.bytes48
    public var mrOwner = Zero.bytes48
    public var mrOwnerConfig = Zero.bytes48
    /// RTMR0…RTMR3, 48 bytes each.
    public var rtmrs = Zero.registers
    public var reportData = Zero.bytes64
    /// TDX 1.5 only.
    public var teeTCBSVN2 = Zero.bytes16
    /// TDX 1.5 only.
    public var mrServiceTD = Zero.bytes48

    public init() {}

    /// All-zero values the fields start from, shared: a new body allocates nothing until a field
    /// is set, and the provider builds one per quote.
    private enum Zero {
        static let bytes8 = [UInt8](repeating: 0, count: 8)
        static let bytes16 = [UInt8](repeating: 0, count: 16)
        static let bytes48 = [UInt8](repeating: 0, count: 48)
        static let bytes64 = [UInt8](repeating: 0, count: 64)
        static let registers = [[UInt8]](repeating: bytes48, count: 4)
    }

    /// The fields of the body, each with its place.
    public enum Fields {
        public static let teeTCBSVN = Field("tee_tcb_svn", at: Offset.teeTCBSVN, width: 16)
        public static let mrSeam = Field("mr_seam", at: Offset.mrSeam, width: 48)
        public static let mrSignerSeam = Field("mr_signer_seam", at: Offset.mrSignerSeam, width: 48)
        public static let seamAttributes = Field("seam_attributes", at: Offset.seamAttributes, width: 8)
        public static let tdAttributes = Field("td_attributes", at: Offset.tdAttributes, width: 8)
        public static let xfam = Field("xfam", at: Offset.xfam, width: 8)
        public static let mrTD = Field("mr_td", at: Offset.mrTD, width: 48)
        public static let mrConfigID = Field("mr_config_id", at: Offset.mrConfigID, width: 48)
        public static let mrOwner = Field("mr_owner", at: Offset.mrOwner, width: 48)
        public static let mrOwnerConfig = Field("mr_owner_config", at: Offset.mrOwnerConfig, width: 48)
        /// RTMR0…RTMR3, one after another.
        public static let rtmrs = (0..<4).map { Field("rtmr\($0)", at: Offset.rtmr0 + 48 * $0, width: 48) }
        public static let reportData = Field("report_data", at: Offset.reportData, width: 64)
        public static let teeTCBSVN2 = Field("tee_tcb_svn2", at: Offset.teeTCBSVN2, width: 16)
        public static let mrServiceTD = Field("mr_servicetd", at: Offset.mrServiceTD, width: 48)
    }

    /// The body's fields in the order of ``forEachFieldValue(_:)``: each layout that carries a
    /// body lists its places for them in this order (TDREPORT has its own, in
    /// ``TDReport/bodyFields``).
    static let fields: [Field] =
        [
            Fields.teeTCBSVN, Fields.mrSeam, Fields.mrSignerSeam, Fields.seamAttributes, Fields.tdAttributes, Fields.xfam,
            Fields.mrTD, Fields.mrConfigID, Fields.mrOwner, Fields.mrOwnerConfig,
        ] + Fields.rtmrs + [Fields.reportData, Fields.teeTCBSVN2, Fields.mrServiceTD]

    /// Calls `body` with each field's index in ``fields`` and its value (the TDX 1.5 fields last),
    /// in that order: the one list of the body's values. Plain property reads, and no array of
    /// them: a quote serialises its body on every request, and building that array cost more
    /// than the writes.
    @inline(__always)
    func forEachFieldValue<Failure: Error>(_ body: (Int, [UInt8]) throws(Failure) -> Void) throws(Failure) {
        try body(0, teeTCBSVN)
        try body(1, mrSeam)
        try body(2, mrSignerSeam)
        try body(3, seamAttributes)
        try body(4, tdAttributes)
        try body(5, xfam)
        try body(6, mrTD)
        try body(7, mrConfigID)
        try body(8, mrOwner)
        try body(9, mrOwnerConfig)
        for (index, register) in rtmrs.prefix(4).enumerated() { try body(10 + index, register) }
        try body(14, reportData)
        try body(15, teeTCBSVN2)
        try body(16, mrServiceTD)
    }

    /// A body from values in the order of ``fields``.
    init(fieldValues values: [[UInt8]]) {
        (teeTCBSVN, mrSeam, mrSignerSeam, seamAttributes, tdAttributes) = (values[0], values[1], values[2], values[3], values[4])
        (xfam, mrTD, mrConfigID, mrOwner, mrOwnerConfig) = (values[5], values[6], values[7], values[8], values[9])
        rtmrs = Array(values[10..<14])
        (reportData, teeTCBSVN2, mrServiceTD) = (values[14], values[15], values[16])
    }

    /// Serialises the body of the given kind; a field of the wrong width is an error naming it.
    public func bytes(_ kind: Kind) throws(LayoutError) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: kind.size)
        try write(kind, into: &out, at: 0)
        return out
    }

    /// Serialises the body of the given kind into `layout`, starting at `base` (a quote writes it
    /// after its header); bytes of `layout` outside the body stay as they are.
    public func write(_ kind: Kind, into layout: inout [UInt8], at base: Int) throws(LayoutError) {
        try Self.checkRegisterCount(rtmrs)
        let fields = Self.fields
        try forEachFieldValue { (index, value) throws(LayoutError) in
            let field = fields[index]
            if field.range.upperBound <= kind.size { try layout.write(value, to: field, base: base) }
        }
    }

    /// Every layout of a body has room for exactly four RTMRs.
    static func checkRegisterCount(_ rtmrs: [[UInt8]]) throws(LayoutError) {
        guard rtmrs.count == 4 else { throw .wrongWidth(field: "rtmrs (registers)", expected: 4, actual: rtmrs.count) }
    }

    /// A TDX 1.0 body has no TEE_TCB_SVN2 or MRSERVICETD: they read as zeros.
    public init(parsing bytes: some Collection<UInt8>, kind: Kind) throws(QuoteFormatError) {
        let body = Array(bytes)
        guard body.count == kind.size else { throw .truncated(at: body.count) }
        self.init(
            fieldValues: Self.fields.map {
                $0.range.upperBound <= kind.size ? body.read($0) : [UInt8](repeating: 0, count: $0.width)
            })
    }
}
