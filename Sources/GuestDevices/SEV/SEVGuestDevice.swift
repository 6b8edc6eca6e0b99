import ByteLayout
import GuestDeviceABI
import GuestSurface
import ProviderKit
import SEVProvider
import SystemPackage

/// `/dev/sev-guest`: SNP_GET_REPORT, SNP_GET_EXT_REPORT and SNP_GET_DERIVED_KEY as the sev-guest
/// driver runs them — checks and errno in the driver's order, exitinfo2 written back whenever it
/// is non-zero, and the certificate-length negotiation of the extended report. Reports and
/// certificates are the configfs provider's, so a guest gets the same evidence either way.
public struct SEVGuestDevice: GuestDevice {
    private let provider: SEVProvider
    private let keys: DerivedKeys

    /// - Parameter chipSecret: the simulated chip's secret that derived keys come from.
    public init(provider: SEVProvider, chipSecret: [UInt8]) {
        self.provider = provider
        self.keys = DerivedKeys(chipSecret: chipSecret, guest: provider.configuration)
    }

    public var name: String { "sev-guest" }

    /// The host's error in exitinfo2 when it keeps throttling the guest (SNP_GUEST_VMM_ERR_BUSY).
    static let vmmErrorBusy: UInt64 = 2 << 32

    public func ioctl(_ command: UInt32, argument: UInt64, input: [UInt8], memory: any CallerMemory) -> IoctlOutcome {
        typealias ABI = SEVGuestABI
        let isKnown = [ABI.getReport, ABI.getDerivedKey, ABI.getExtReport].contains(command)
        // snp_guest_ioctl copies the 32-byte structure for every command, known or not.
        let original: [UInt8]
        if isKnown && input.count == ABI.GuestRequest.size {
            original = input
        } else {
            do throws(Errno) {
                original = try memory.read(ABI.GuestRequest.size, at: argument)
            } catch {
                return .failure(error)
            }
        }
        var request = ABI.GuestRequest(parsing: original)!
        request.exitInfo2 = ABI.exitInfoUnset
        guard request.messageVersion != 0 else { return .failure(.invalidArgument) }

        var result: Int32
        switch command {
        case ABI.getReport: result = getReport(&request, memory)
        case ABI.getExtReport: result = getExtendedReport(&request, memory)
        case ABI.getDerivedKey: result = getDerivedKey(&request, memory)
        default: result = -Errno.inappropriateIOCTLForDevice.rawValue
        }

        // The driver copies the structure back only when exitinfo2 is non-zero.
        let final = request.exitInfo2 != 0 ? request.bytes(over: original) : original
        if isKnown { return IoctlOutcome(result: result, output: final) }
        do throws(Errno) {
            if request.exitInfo2 != 0 { try memory.write(final, at: argument) }
            // The kernel copies out what the command number declares; give it the memory as it now is.
            let outSize = IoctlNumber.copiesOut(command) ? IoctlNumber.size(command) : 0
            return IoctlOutcome(result: result, output: try memory.read(outSize, at: argument))
        } catch {
            return .failure(error)
        }
    }

    // MARK: commands

    private func getReport(_ request: inout SEVGuestABI.GuestRequest, _ memory: any CallerMemory) -> Int32 {
        guard request.requestData != 0, request.responseData != 0 else { return -Errno.invalidArgument.rawValue }
        do throws(Errno) {
            let requestBytes = try memory.read(SEVGuestABI.ReportRequest.size, at: request.requestData)
            let reportRequest = try decode { () throws(LayoutError) in try SEVGuestABI.ReportRequest(parsing: requestBytes) }
            let (response, _) = try firmwareReport(reportRequest, &request)
            try memory.write(response.bytes, at: request.responseData)
            return 0
        } catch {
            return -error.rawValue
        }
    }

    private func getExtendedReport(_ request: inout SEVGuestABI.GuestRequest, _ memory: any CallerMemory) -> Int32 {
        typealias Ext = SEVGuestABI.ExtendedReportRequest
        guard request.requestData != 0, request.responseData != 0 else { return -Errno.invalidArgument.rawValue }
        do throws(Errno) {
            let original = try memory.read(Ext.size, at: request.requestData)
            let extended = try decode { () throws(LayoutError) in try Ext(parsing: original) }
            let length = Int(extended.certificatesLength)
            // A zero length or a NULL address means "no certificates wanted": no pages offered.
            let wantsCertificates = length != 0 && extended.certificatesAddress != 0
            if wantsCertificates {
                guard length <= SEVGuestABI.certificateBufferMax, length % SEVGuestABI.pageSize == 0 else {
                    return -Errno.invalidArgument.rawValue
                }
                guard ProcessMemory.isUserRange(extended.certificatesAddress, length) else { return -Errno.badAddress.rawValue }
            }
            let offered = wantsCertificates ? length : 0
            let (response, certificates) = try firmwareReport(extended.report, &request)
            let needed = (certificates.count + SEVGuestABI.pageSize - 1) / SEVGuestABI.pageSize * SEVGuestABI.pageSize
            if needed > offered {
                // The host names the length it needs; the driver writes it into certs_len.
                request.exitInfo2 = SEVGuestABI.vmmErrorInvalidLength
                let answer = Ext.replacingCertificatesLength(in: original, with: UInt32(needed))
                try memory.write(answer, at: request.requestData)
                return -Errno.ioError.rawValue
            }
            if offered > 0 {
                try memory.write(
                    certificates + [UInt8](repeating: 0, count: offered - certificates.count), at: extended.certificatesAddress)
            }
            try memory.write(response.bytes, at: request.responseData)
            return 0
        } catch {
            return -error.rawValue
        }
    }

    private func getDerivedKey(_ request: inout SEVGuestABI.GuestRequest, _ memory: any CallerMemory) -> Int32 {
        guard request.requestData != 0, request.responseData != 0 else { return -Errno.invalidArgument.rawValue }
        do throws(Errno) {
            let keyBytes = try memory.read(SEVGuestABI.DerivedKeyRequest.size, at: request.requestData)
            let keyRequest = try decode { () throws(LayoutError) in try SEVGuestABI.DerivedKeyRequest(parsing: keyBytes) }
            try checkMessagingWorks(&request)
            request.exitInfo2 = 0
            let response: SEVGuestABI.DerivedKeyResponse
            if let key = keys.key(for: keyRequest) {
                response = SEVGuestABI.DerivedKeyResponse(status: 0, key: key)
            } else {
                response = SEVGuestABI.DerivedKeyResponse(
                    status: SEVGuestABI.statusInvalidParameter, key: [UInt8](repeating: 0, count: 32))
            }
            try memory.write(try decode { () throws(LayoutError) in try response.bytes }, at: request.responseData)
            return 0
        } catch {
            return -error.rawValue
        }
    }

    // MARK: the firmware

    /// The guest-request path's own failures, before the firmware sees the message.
    private func checkMessagingWorks(_ request: inout SEVGuestABI.GuestRequest) throws(Errno) {
        let faults = provider.configuration.faults
        if faults.vmpckDisabled { throw .inappropriateIOCTLForDevice }
        if faults.hostBusy {
            request.exitInfo2 = Self.vmmErrorBusy
            throw .timedOut
        }
    }

    /// MSG_REPORT_REQ as the firmware answers it, with the host's certificates. A VMPL the
    /// firmware refuses is a response with status INVALID_PARAM, not an ioctl failure.
    private func firmwareReport(
        _ reportRequest: SEVGuestABI.ReportRequest, _ request: inout SEVGuestABI.GuestRequest
    ) throws(Errno) -> (SEVGuestABI.ReportResponse, [UInt8]) {
        try checkMessagingWorks(&request)
        request.exitInfo2 = 0
        // The certificates come from the host whatever the firmware answers.
        let refused = (
            SEVGuestABI.ReportResponse(status: SEVGuestABI.statusInvalidParameter, report: []), provider.hostCertificates.bytes
        )
        guard reportRequest.vmpl <= 3 else { return refused }
        do throws(ProviderError) {
            let report = try provider.generateReport(
                for: ReportRequest(inblob: reportRequest.userData, privlevel: reportRequest.vmpl))
            return (SEVGuestABI.ReportResponse(status: 0, report: report.outblob), report.auxblob)
        } catch  where error.errno == .invalidArgument {
            return refused
        } catch {
            throw error.errno
        }
    }

    // MARK: copying

    /// A structure that does not decode is a short copy: what the kernel's copy would fault on.
    private func decode<T>(_ body: () throws(LayoutError) -> T) throws(Errno) -> T {
        do throws(LayoutError) { return try body() } catch { throw .badAddress }
    }
}
