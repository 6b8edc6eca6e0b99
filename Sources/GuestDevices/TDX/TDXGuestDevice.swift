import ByteLayout
import GuestDeviceABI
import GuestSurface
import SystemPackage
import TDXProvider
import TDXQuote
import TDXSigning

/// `/dev/tdx_guest`: TDX_CMD_GET_REPORT0 returns the TDREPORT of the TD the provider simulates,
/// with the caller's REPORTDATA and the RTMRs as they are at that moment; every other command is
/// ENOTTY (mainline has no GET_QUOTE ioctl: quotes go through configfs-tsm).
public struct TDXGuestDevice: GuestDevice {
    private let provider: TDXProvider
    private let mac: ReportMAC

    public init(provider: TDXProvider, macKey: [UInt8]) {
        self.provider = provider
        self.mac = ReportMAC(key: macKey)
    }

    public var name: String { "tdx_guest" }

    public func ioctl(_ command: UInt32, argument: UInt64, input: [UInt8], memory: any CallerMemory) -> IoctlOutcome {
        guard command == TDXGuestABI.getReport0 else { return .failure(.inappropriateIOCTLForDevice) }
        // Restricted FUSE ioctls copy the whole argument in; a caller the kernel could not
        // copy from never gets here (EFAULT).
        guard input.count == TDXGuestABI.ReportRequest.size else { return .failure(.badAddress) }
        let reportData = input.read(TDXGuestABI.ReportRequest.reportData)
        do {
            var report = provider.tdReport(reportData: reportData)
            var output = input
            try output.write(try mac.seal(&report), to: TDXGuestABI.ReportRequest.tdReport)
            return .success(output)
        } catch {
            return .failure(.ioError)
        }
    }
}
