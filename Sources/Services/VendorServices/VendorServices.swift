/// The vendor services in one place: Intel's PCS and PCCS, the root CA CRL at its distribution
/// point, AMD's KDS, and `/health`. It answers by path (and, for PCCS's flavour, by port), so
/// one server serves every host name the simulated certificates and clients use.
public final class VendorServices: Sendable {
    public let intel: IntelProvisioningService?
    public let amd: AMDKeyDistributionService?

    public init(intel: IntelProvisioningService?, amd: AMDKeyDistributionService?) {
        self.intel = intel
        self.amd = amd
    }

    /// The host names the services answer as, for /etc/hosts and the TLS certificate: Intel's
    /// and AMD's, the default PCCS of dcap-qvl and of secretvm-verify, and localhost (Intel's
    /// QCNL defaults to a PCCS there).
    public static let hostNames = [
        "api.trustedservices.intel.com", "certificates.trustedservices.intel.com", "kdsintf.amd.com",
        "pccs.phala.network", "pccs.scrtlabs.com", "localhost",
    ]

    public func respond(_ request: ServiceRequest) -> ServiceResponse {
        if request.path == "/health" {
            guard request.method == "GET" || request.method == "HEAD" else { return .failure(405, "GET /health") }
            return .content(Array("ok\n".utf8), type: "text/plain")
        }
        if request.path == "/tsmfs/tcb-recovery" {
            return tcbRecovery(request)
        }
        guard request.method == "GET" || request.method == "HEAD" else {
            return .failure(405, "the collateral services answer GET", headers: [("Allow", "GET, HEAD")])
        }
        if request.path.hasPrefix("/IntelSGXRootCA."), let intel { return intel.rootCRL() }
        if let intel, let response = intel.respond(request) { return response }
        if let amd, let response = amd.respond(request) { return response }
        return .failure(404, "no such resource")
    }

    /// POST from this machine: Intel publishes a TCB recovery, after which the simulated platform's
    /// TCB level is out of date.
    private func tcbRecovery(_ request: ServiceRequest) -> ServiceResponse {
        guard request.fromLoopback else { return .failure(403, "only from this machine") }
        guard request.method == "POST" else { return .failure(405, "POST /tsmfs/tcb-recovery", headers: [("Allow", "POST")]) }
        guard let intel else { return .failure(404, "no Intel collateral is served") }
        do {
            try intel.recoverTCB()
            return .content(Array("TCB recovery published: the platform is now OutOfDate\n".utf8), type: "text/plain")
        } catch {
            return .failure(500, "TCB recovery failed: \(error)")
        }
    }
}
