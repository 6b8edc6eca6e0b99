import AMDPKI
import AMDValues
import ByteLayout
import Foundation
import IntelPKI
import ServicePKI
import SimulatedPKI
import VendorServices

/// The vendor services for the configured platforms: Intel's collateral for the `[tdx]`
/// platform and AMD's certificates for the `[sev]` chip, the same bytes `tsmfs collateral` and
/// `tsmfs roots` write from the same state directory.
extension ProviderAssembly {
    public func vendorServices() throws -> VendorServices {
        let (pki, _) = try intelPKI()
        let intel = IntelProvisioningService(try Self.intelCollateral(pki, tdxCollateral(pki))) { [self] in
            // Intel publishes a newer TCB evaluation in which the platform's level is out of date.
            var platform = pki.platform
            platform.tcbStatus = .outOfDate
            let recovered = try SimulatedIntelPKI.load(from: keyStore("tdx"), platform: platform)
            return try Self.intelCollateral(
                recovered, tdxCollateral(recovered, evaluationDataNumber: TDXCollateral.evaluationDataNumber + 1))
        }
        return VendorServices(intel: intel, amd: AMDKeyDistributionService(lines: [try amdCertificates()]))
    }

    static func intelCollateral(_ pki: SimulatedIntelPKI, _ collateral: TDXCollateral) throws -> IntelCollateral {
        IntelCollateral(
            fmspc: pki.platform.fmspc.hexString,
            tcbInfoResponse: Array(collateral.tcbInfoResponse.utf8),
            qeIdentityResponse: Array(collateral.qeIdentityResponse.utf8),
            sgxTCBInfoResponse: Array(collateral.sgxTCBInfoResponse.utf8),
            sgxQEIdentityResponse: Array(collateral.sgxQEIdentityResponse.utf8),
            tcbInfoIssuerChain: collateral.tcbInfoIssuerChain, pckCRLIssuerChain: collateral.pckCRLIssuerChain,
            rootCACRL: collateral.rootCACRL, pckCRL: collateral.pckCRL)
    }

    /// Both chains of the configured product line (the ASK's and the ASVK's), their CRLs, and the
    /// VCEK of the configured chip at its reported TCB.
    func amdCertificates() throws -> AMDProductCertificates {
        let sev = try SEVSettings.read(configFile.section("sev"))
        let template = sev.configuration.template
        func load(_ signer: EndorsementKey) throws -> SimulatedAMDPKI {
            try SimulatedAMDPKI.load(
                from: keyStore("sev"), productLine: sev.configuration.productLine, chipID: template.chipID,
                reportedTCB: template.reportedTCB, signer: signer, hardwareID: sev.hardwareID)
        }
        let vcek = try load(.vcek)
        let vlek = try load(.vlek)
        func crl(_ pki: SimulatedAMDPKI) throws -> [UInt8] { try amdRevocationList(pki, revoking: sev.revokedSerials) }
        let ark = SimulatedAMDPKI.pem(vcek.arkDER)
        let tcb = template.reportedTCB
        return AMDProductCertificates(
            productLine: vcek.productLine.rawValue, vcekChain: SimulatedAMDPKI.pem(vcek.intermediateDER) + ark,
            vlekChain: SimulatedAMDPKI.pem(vlek.intermediateDER) + ark, vcekCRL: try crl(vcek), vlekCRL: try crl(vlek),
            chipID: template.chipID,
            securityPatchLevels: (Int(tcb.bootLoader), Int(tcb.tee), Int(tcb.snp), Int(tcb.microcode)), vcek: vcek.signerDER)
    }

    /// The TLS identity of the services, kept in the state directory's `services/`.
    public func serviceTLSIdentity() throws -> SimulatedTLSIdentity {
        try SimulatedTLSIdentity.load(from: keyStore("services"), hostNames: VendorServices.hostNames)
    }
}
