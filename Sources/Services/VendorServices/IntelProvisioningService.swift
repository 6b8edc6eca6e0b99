import ByteLayout
import Foundation
import Synchronization

/// What Intel's PCS (and a PCCS) publish for one simulated TDX platform: the bytes `tsmfs
/// collateral` writes.
public struct IntelCollateral: Sendable, Equatable {
    /// The platform's FMSPC, as hex (any case).
    public var fmspc: String
    /// `{"tcbInfo":…,"signature":…}` and `{"enclaveIdentity":…,"signature":…}`, compact.
    public var tcbInfoResponse: [UInt8]
    public var qeIdentityResponse: [UInt8]
    /// The same platform's SGX TCB info and the SGX QE identity.
    public var sgxTCBInfoResponse: [UInt8]
    public var sgxQEIdentityResponse: [UInt8]
    /// "Intel SGX TCB Signing" then the root, PEM, one final newline.
    public var tcbInfoIssuerChain: String
    /// The Platform CA then the root, PEM.
    public var pckCRLIssuerChain: String
    /// DER CRLs of the root and of the Platform CA.
    public var rootCACRL: [UInt8]
    public var pckCRL: [UInt8]

    public init(
        fmspc: String, tcbInfoResponse: [UInt8], qeIdentityResponse: [UInt8], sgxTCBInfoResponse: [UInt8],
        sgxQEIdentityResponse: [UInt8], tcbInfoIssuerChain: String, pckCRLIssuerChain: String, rootCACRL: [UInt8], pckCRL: [UInt8]
    ) {
        self.fmspc = fmspc
        self.tcbInfoResponse = tcbInfoResponse
        self.qeIdentityResponse = qeIdentityResponse
        self.sgxTCBInfoResponse = sgxTCBInfoResponse
        self.sgxQEIdentityResponse = sgxQEIdentityResponse
        self.tcbInfoIssuerChain = tcbInfoIssuerChain
        self.pckCRLIssuerChain = pckCRLIssuerChain
        self.rootCACRL = rootCACRL
        self.pckCRL = pckCRL
    }
}

/// Intel's Provisioning Certification Service, API v4, and the PCCS flavour of it, for the
/// simulated platform: TCB info, QE identity, the PCK CRL and the root CA CRL, each with the
/// issuer-chain header Intel sends. Data tsmfs does not simulate (other FMSPCs, the QvE and QAE,
/// the Processor CA) answers 404, as PCS answers for data it does not have.
public final class IntelProvisioningService: Sendable {
    private let current: Mutex<IntelCollateral>
    /// Collateral after a TCB recovery: the platform's level out of date under a newer evaluation.
    private let recovery: @Sendable () throws -> IntelCollateral

    public init(_ collateral: IntelCollateral, recovery: @escaping @Sendable () throws -> IntelCollateral) {
        self.current = Mutex(collateral)
        self.recovery = recovery
    }

    public var collateral: IntelCollateral { current.withLock { $0 } }

    /// Publishes the collateral of a TCB recovery; later requests get it.
    public func recoverTCB() throws {
        let recovered = try recovery()
        current.withLock { $0 = recovered }
    }

    static let requestIDLength = 16

    /// Answers `request` if its path is one of PCS's or PCCS's; nil otherwise.
    func respond(_ request: ServiceRequest) -> ServiceResponse? {
        let path = request.path
        for prefix in ["/sgx/certification/v4/", "/tdx/certification/v4/"] where path.hasPrefix(prefix) {
            let tee = prefix.hasPrefix("/tdx") ? "tdx" : "sgx"
            let resource = String(path.dropFirst(prefix.count))
            return respond(tee: tee, resource: resource, request).withRequestID()
        }
        return nil
    }

    private func respond(tee: String, resource: String, _ request: ServiceRequest) -> ServiceResponse {
        let collateral = self.collateral
        switch (tee, resource) {
        case ("tdx", "tcb"), ("sgx", "tcb"):
            if let problem = Self.evaluationProblem(request) { return .failure(400, problem) }
            guard let fmspc = request.query["fmspc"], fmspc.count == 12, fmspc.allSatisfy(\.isHexDigit) else {
                return .failure(400, "fmspc must be 12 hexadecimal digits")
            }
            guard fmspc.lowercased() == collateral.fmspc.lowercased() else {
                return .failure(404, "no \(tee.uppercased()) TCB info for FMSPC \(fmspc)")
            }
            return .content(
                tee == "tdx" ? collateral.tcbInfoResponse : collateral.sgxTCBInfoResponse, type: "application/json",
                headers: [("TCB-Info-Issuer-Chain", PercentEncoding.encode(collateral.tcbInfoIssuerChain))])
        case ("tdx", "qe/identity"):
            if let problem = Self.evaluationProblem(request) { return .failure(400, problem) }
            return .content(
                collateral.qeIdentityResponse, type: "application/json",
                headers: [("SGX-Enclave-Identity-Issuer-Chain", PercentEncoding.encode(collateral.tcbInfoIssuerChain))])
        case ("sgx", "qe/identity"):
            if let problem = Self.evaluationProblem(request) { return .failure(400, problem) }
            return .content(
                collateral.sgxQEIdentityResponse, type: "application/json",
                headers: [("SGX-Enclave-Identity-Issuer-Chain", PercentEncoding.encode(collateral.tcbInfoIssuerChain))])
        case ("sgx", "qve/identity"), ("sgx", "qae/identity"):
            if let problem = Self.evaluationProblem(request) { return .failure(400, problem) }
            return .failure(
                404, "no \(resource.split(separator: "/")[0].uppercased()) identity: the simulation has no such enclave")
        case ("sgx", "pckcrl"):
            return pckCRL(request, collateral)
        case ("sgx", "rootcacrl"):
            // PCCS only: the DER root CA CRL as hex text.
            return .content(Array(collateral.rootCACRL.hexString.utf8), type: "application/pkix-crl")
        case ("sgx", "crl"):
            // PCCS API 3.1: a CRL by its distribution point.
            guard let uri = request.query["uri"] else { return .failure(400, "uri is required") }
            if uri.hasPrefix("https://certificates.trustedservices.intel.com/IntelSGXRootCA") {
                return .content(collateral.rootCACRL, type: "application/pkix-crl")
            }
            if uri.hasPrefix("https://api.trustedservices.intel.com/sgx/certification/"), uri.contains("ca=platform") {
                return .content(collateral.pckCRL, type: "application/pkix-crl")
            }
            return .failure(400, "uri is not one of Intel's CRL distribution points")
        default:
            return .failure(404, "no such resource")
        }
    }

    /// PCS's PCK CRL: `ca` required (PCCS takes it in any case); PEM unless `encoding=der`. A PCCS
    /// (a request through one of its addresses) answers hex without `encoding=der`.
    private func pckCRL(_ request: ServiceRequest, _ collateral: IntelCollateral) -> ServiceResponse {
        guard let ca = request.query["ca"]?.lowercased(), ["platform", "processor"].contains(ca) else {
            return .failure(400, "ca must be processor or platform")
        }
        let encoding = request.query["encoding"]?.lowercased() ?? "pem"
        guard ["pem", "der"].contains(encoding) else { return .failure(400, "encoding must be pem or der") }
        guard ca == "platform" else { return .failure(404, "no Processor CA: the simulated PCKs are issued by the Platform CA") }
        let chain = [("SGX-PCK-CRL-Issuer-Chain", PercentEncoding.encode(collateral.pckCRLIssuerChain))]
        if encoding == "der" { return .content(collateral.pckCRL, type: "application/pkix-crl", headers: chain) }
        if request.isPCCS {
            return .content(Array(collateral.pckCRL.hexString.utf8), type: "application/x-pem-file", headers: chain)
        }
        let pem =
            "-----BEGIN X509 CRL-----\n"
            + Data(collateral.pckCRL).base64EncodedString(options: [.lineLength64Characters, .endLineWithLineFeed])
            + "\n-----END X509 CRL-----\n"
        return .content(Array(pem.utf8), type: "application/x-pem-file", headers: chain)
    }

    /// `update` is standard or early and excludes `tcbEvaluationDataNumber`.
    static func evaluationProblem(_ request: ServiceRequest) -> String? {
        if let update = request.query["update"] {
            guard ["standard", "early"].contains(update.lowercased()) else { return "update must be standard or early" }
            if request.query["tcbEvaluationDataNumber"] != nil { return "update and tcbEvaluationDataNumber exclude each other" }
        }
        if let number = request.query["tcbEvaluationDataNumber"], Int(number) == nil {
            return "tcbEvaluationDataNumber must be a number"
        }
        return nil
    }

    /// The root CA CRL, where the simulated certificates' distribution point names it.
    func rootCRL() -> ServiceResponse {
        ServiceResponse.content(collateral.rootCACRL, type: "application/pkix-crl").withRequestID()
    }
}

extension ServiceRequest {
    /// PCCS answers on its own port (8081) or as `localhost`, where clients expect its flavour.
    var isPCCS: Bool { port == 8081 || host == "localhost" }
}

extension ServiceResponse {
    /// Every PCS response carries a random `Request-ID`.
    func withRequestID() -> ServiceResponse {
        var response = self
        let id = (0..<IntelProvisioningService.requestIDLength).map { _ in String(UInt8.random(in: 0...15), radix: 16) }.joined()
        response.headers.append(("Request-ID", id))
        return response
    }
}
