import ByteLayout

/// `include/uapi/linux/sev-guest.h`: the ioctls of `/dev/sev-guest` and what their pointers
/// point at. Every ioctl passes a ``GuestRequest``; the request and response structures live in
/// the caller's memory.
public enum SEVGuestABI {
    /// `SNP_GET_REPORT = _IOWR('S', 0x0, struct snp_guest_request_ioctl)`.
    public static let getReport: UInt32 = 0xC020_5300
    /// `SNP_GET_DERIVED_KEY = _IOWR('S', 0x1, …)`.
    public static let getDerivedKey: UInt32 = 0xC020_5301
    /// `SNP_GET_EXT_REPORT = _IOWR('S', 0x2, …)`.
    public static let getExtReport: UInt32 = 0xC020_5302

    /// `SEV_FW_BLOB_MAX_SIZE`: the most certificate data a guest may ask for.
    public static let certificateBufferMax = 16384
    public static let pageSize = 4096
    /// Firmware status `SEV_RET_INVALID_PARAM`, in a response's status field.
    public static let statusInvalidParameter: UInt32 = 0x16
    /// exitinfo2 for `SNP_GUEST_VMM_ERR_INVALID_LEN`: the host's error in the upper 32 bits.
    public static let vmmErrorInvalidLength: UInt64 = 1 << 32
    /// What the driver puts in exitinfo2 before a command runs; an unknown command leaves it.
    public static let exitInfoUnset: UInt64 = 0xFF

    /// `struct snp_guest_request_ioctl` (32 bytes).
    public struct GuestRequest: Equatable, Sendable {
        public static let size = 32
        public enum Offset {
            public static let messageVersion = 0
            public static let requestData = 8
            public static let responseData = 16
            public static let exitInfo2 = 24
        }

        public var messageVersion: UInt8
        public var requestData: UInt64
        public var responseData: UInt64
        public var exitInfo2: UInt64

        public init(messageVersion: UInt8 = 1, requestData: UInt64 = 0, responseData: UInt64 = 0, exitInfo2: UInt64 = 0) {
            self.messageVersion = messageVersion
            self.requestData = requestData
            self.responseData = responseData
            self.exitInfo2 = exitInfo2
        }

        /// `nil` unless `bytes` holds the whole structure.
        public init?(parsing bytes: [UInt8]) {
            guard bytes.count >= Self.size else { return nil }
            messageVersion = bytes[Offset.messageVersion]
            requestData = bytes.loadLittleEndian(UInt64.self, at: Offset.requestData)
            responseData = bytes.loadLittleEndian(UInt64.self, at: Offset.responseData)
            exitInfo2 = bytes.loadLittleEndian(UInt64.self, at: Offset.exitInfo2)
        }

        /// The structure with `original`'s padding bytes kept, as a copy back leaves them.
        public func bytes(over original: [UInt8] = []) -> [UInt8] {
            var out = original.count == Self.size ? original : [UInt8](repeating: 0, count: Self.size)
            out[Offset.messageVersion] = messageVersion
            out.storeLittleEndian(requestData, at: Offset.requestData)
            out.storeLittleEndian(responseData, at: Offset.responseData)
            out.storeLittleEndian(exitInfo2, at: Offset.exitInfo2)
            return out
        }
    }

    /// `struct snp_report_req` (96 bytes): REPORT_DATA and the VMPL to report at.
    public struct ReportRequest: Equatable, Sendable {
        public static let size = 96
        public static let userData = Field("user_data", at: 0, width: 64)
        public static let vmplOffset = 64

        public var userData: [UInt8]
        public var vmpl: UInt32

        public init(userData: [UInt8], vmpl: UInt32) {
            self.userData = userData
            self.vmpl = vmpl
        }

        public init(parsing bytes: [UInt8]) throws(LayoutError) {
            guard bytes.count >= Self.size else {
                throw .truncated(layout: "snp_report_req", expected: Self.size, actual: bytes.count)
            }
            userData = bytes.read(Self.userData)
            vmpl = bytes.loadLittleEndian(UInt32.self, at: Self.vmplOffset)
        }

        public var bytes: [UInt8] {
            get throws(LayoutError) {
                var out = [UInt8](repeating: 0, count: Self.size)
                try out.write(userData, to: Self.userData)
                out.storeLittleEndian(vmpl, at: Self.vmplOffset)
                return out
            }
        }
    }

    /// `struct snp_ext_report_req` (112 bytes): a report request plus where the certificates go.
    public struct ExtendedReportRequest: Equatable, Sendable {
        public static let size = 112
        public static let certificatesAddressOffset = 96
        public static let certificatesLengthOffset = 104

        public var report: ReportRequest
        public var certificatesAddress: UInt64
        public var certificatesLength: UInt32

        public init(report: ReportRequest, certificatesAddress: UInt64, certificatesLength: UInt32) {
            self.report = report
            self.certificatesAddress = certificatesAddress
            self.certificatesLength = certificatesLength
        }

        public init(parsing bytes: [UInt8]) throws(LayoutError) {
            guard bytes.count >= Self.size else {
                throw .truncated(layout: "snp_ext_report_req", expected: Self.size, actual: bytes.count)
            }
            report = try ReportRequest(parsing: Array(bytes[0..<ReportRequest.size]))
            certificatesAddress = bytes.loadLittleEndian(UInt64.self, at: Self.certificatesAddressOffset)
            certificatesLength = bytes.loadLittleEndian(UInt32.self, at: Self.certificatesLengthOffset)
        }

        public var bytes: [UInt8] {
            get throws(LayoutError) {
                var out = try report.bytes + [UInt8](repeating: 0, count: Self.size - ReportRequest.size)
                out.storeLittleEndian(certificatesAddress, at: Self.certificatesAddressOffset)
                out.storeLittleEndian(certificatesLength, at: Self.certificatesLengthOffset)
                return out
            }
        }

        /// The caller's structure with only certs_len replaced, as the driver copies back its
        /// own copy of the request after the host named the length it needs.
        public static func replacingCertificatesLength(in original: [UInt8], with length: UInt32) -> [UInt8] {
            var out = original
            out.storeLittleEndian(length, at: certificatesLengthOffset)
            return out
        }
    }

    /// `struct snp_report_resp` (4000 bytes): the firmware's MSG_REPORT_RSP.
    public struct ReportResponse: Equatable, Sendable {
        public static let size = 4000
        public static let reportOffset = 0x20

        public var status: UInt32
        public var report: [UInt8]

        public init(status: UInt32, report: [UInt8]) {
            self.status = status
            self.report = report
        }

        public init(parsing bytes: [UInt8]) throws(LayoutError) {
            guard bytes.count >= Self.size else {
                throw .truncated(layout: "snp_report_resp", expected: Self.size, actual: bytes.count)
            }
            status = bytes.loadLittleEndian(UInt32.self, at: 0)
            let length = Int(bytes.loadLittleEndian(UInt32.self, at: 4))
            guard length <= Self.size - Self.reportOffset else {
                throw .truncated(layout: "snp_report_resp report", expected: length, actual: Self.size - Self.reportOffset)
            }
            report = Array(bytes[Self.reportOffset..<Self.reportOffset + length])
        }

        public var bytes: [UInt8] {
            var out = [UInt8](repeating: 0, count: Self.size)
            out.storeLittleEndian(status, at: 0)
            out.storeLittleEndian(UInt32(report.count), at: 4)
            out.replaceSubrange(Self.reportOffset..<Self.reportOffset + report.count, with: report)
            return out
        }
    }

    /// `struct snp_derived_key_req` (32 bytes): MSG_KEY_REQ.
    public struct DerivedKeyRequest: Equatable, Sendable {
        public static let size = 32
        public enum Offset {
            public static let rootKeySelect = 0
            public static let guestFieldSelect = 8
            public static let vmpl = 16
            public static let guestSVN = 20
            public static let tcbVersion = 24
        }

        /// Bit 0: the root key (0 VCEK, 1 VMRK); bits 2:1 KEY_SEL.
        public var rootKeySelect: UInt32
        /// Which guest fields the key is bound to; see ``GuestField``.
        public var guestFieldSelect: UInt64
        public var vmpl: UInt32
        public var guestSVN: UInt32
        public var tcbVersion: UInt64

        public init(
            rootKeySelect: UInt32 = 0, guestFieldSelect: UInt64 = 0, vmpl: UInt32 = 0, guestSVN: UInt32 = 0,
            tcbVersion: UInt64 = 0
        ) {
            self.rootKeySelect = rootKeySelect
            self.guestFieldSelect = guestFieldSelect
            self.vmpl = vmpl
            self.guestSVN = guestSVN
            self.tcbVersion = tcbVersion
        }

        public init(parsing bytes: [UInt8]) throws(LayoutError) {
            guard bytes.count >= Self.size else {
                throw .truncated(layout: "snp_derived_key_req", expected: Self.size, actual: bytes.count)
            }
            rootKeySelect = bytes.loadLittleEndian(UInt32.self, at: Offset.rootKeySelect)
            guestFieldSelect = bytes.loadLittleEndian(UInt64.self, at: Offset.guestFieldSelect)
            vmpl = bytes.loadLittleEndian(UInt32.self, at: Offset.vmpl)
            guestSVN = bytes.loadLittleEndian(UInt32.self, at: Offset.guestSVN)
            tcbVersion = bytes.loadLittleEndian(UInt64.self, at: Offset.tcbVersion)
        }

        public var bytes: [UInt8] {
            var out = [UInt8](repeating: 0, count: Self.size)
            out.storeLittleEndian(rootKeySelect, at: Offset.rootKeySelect)
            out.storeLittleEndian(guestFieldSelect, at: Offset.guestFieldSelect)
            out.storeLittleEndian(vmpl, at: Offset.vmpl)
            out.storeLittleEndian(guestSVN, at: Offset.guestSVN)
            out.storeLittleEndian(tcbVersion, at: Offset.tcbVersion)
            return out
        }

        /// GUEST_FIELD_SELECT bits (SEV-SNP firmware ABI, MSG_KEY_REQ).
        public enum GuestField: Int, CaseIterable, Sendable {
            case policy = 0
            case imageID = 1
            case familyID = 2
            case measurement = 3
            case guestSVN = 4
            case tcbVersion = 5
        }
    }

    /// `struct snp_derived_key_resp` (64 bytes): MSG_KEY_RSP, status then the key at 0x20.
    public struct DerivedKeyResponse: Equatable, Sendable {
        public static let size = 64
        public static let key = Field("derived_key", at: 0x20, width: 32)

        public var status: UInt32
        public var key: [UInt8]

        public init(status: UInt32, key: [UInt8]) {
            self.status = status
            self.key = key
        }

        public init(parsing bytes: [UInt8]) throws(LayoutError) {
            guard bytes.count >= Self.size else {
                throw .truncated(layout: "snp_derived_key_resp", expected: Self.size, actual: bytes.count)
            }
            status = bytes.loadLittleEndian(UInt32.self, at: 0)
            key = bytes.read(Self.key)
        }

        public var bytes: [UInt8] {
            get throws(LayoutError) {
                var out = [UInt8](repeating: 0, count: Self.size)
                out.storeLittleEndian(status, at: 0)
                try out.write(key, to: Self.key)
                return out
            }
        }
    }
}
