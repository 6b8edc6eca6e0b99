import ProviderKit

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
    public var rtmrs = [[UInt8]](repeating: [UInt8](repeating: 0, count: 48), count: 4)
    public var reportData = [UInt8](repeating: 0, count: 64)
    /// TDX 1.5 only.
    public var teeTCBSVN2 = [UInt8](repeating: 0, count: 16)
    /// TDX 1.5 only.
    public var mrServiceTD = [UInt8](repeating: 0, count: 48)

    public init() {}

    /// The fixed-size fields in layout order, with their offsets.
    private var fields: [(Int, WritableKeyPath<TDReportBody, [UInt8]>)] {
        [(Offset.teeTCBSVN, \.teeTCBSVN), (Offset.mrSeam, \.mrSeam), (Offset.mrSignerSeam, \.mrSignerSeam),
         (Offset.seamAttributes, \.seamAttributes), (Offset.tdAttributes, \.tdAttributes), (Offset.xfam, \.xfam),
         (Offset.mrTD, \.mrTD), (Offset.mrConfigID, \.mrConfigID), (Offset.mrOwner, \.mrOwner),
         (Offset.mrOwnerConfig, \.mrOwnerConfig), (Offset.reportData, \.reportData),
         (Offset.teeTCBSVN2, \.teeTCBSVN2), (Offset.mrServiceTD, \.mrServiceTD)]
    }

    /// Serialises the body of the given kind.
    public func bytes(_ kind: Kind) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: kind.size)
        for (offset, field) in fields where offset < kind.size {
            let value = self[keyPath: field]
            out.replaceSubrange(offset..<offset + value.count, with: value)
        }
        for (index, rtmr) in rtmrs.enumerated() {
            let offset = Offset.rtmr0 + 48 * index
            out.replaceSubrange(offset..<offset + 48, with: rtmr)
        }
        return out
    }

    public init(parsing bytes: ArraySlice<UInt8>, kind: Kind) throws(QuoteFormatError) {
        guard bytes.count == kind.size else {
            throw QuoteFormatError("TD report body of type \(kind.rawValue) must be \(kind.size) bytes, not \(bytes.count)")
        }
        let body = Array(bytes)
        self.init()
        for (offset, field) in fields where offset < kind.size {
            let width = self[keyPath: field].count
            self[keyPath: field] = Array(body[offset..<offset + width])
        }
        rtmrs = (0..<4).map { Array(body[Offset.rtmr0 + 48 * $0..<Offset.rtmr0 + 48 * ($0 + 1)]) }
    }
}
