import ByteLayout

/// `include/uapi/linux/tdx-guest.h`: the one ioctl of `/dev/tdx_guest`.
public enum TDXGuestABI {
    /// `TDX_CMD_GET_REPORT0 = _IOWR('T', 1, struct tdx_report_req)`.
    public static let getReport0: UInt32 = 0xC440_5401

    /// `struct tdx_report_req { __u8 reportdata[64]; __u8 tdreport[1024]; }`, no pointers.
    public enum ReportRequest {
        public static let size = 1088
        public static let reportData = Field("reportdata", at: 0, width: 64)
        public static let tdReport = Field("tdreport", at: 64, width: 1024)
    }
}
