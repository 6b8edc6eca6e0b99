import AMDPKI
import Foundation
import IntelPKI
import SimulatedPKI

/// The dated documents of the simulated vendors, published once and handed to every command.
extension ProviderAssembly {
    /// The TDX collateral of `pki`'s platform at this TCB evaluation (what `tsmfs collateral`
    /// writes and `tsmfs serve` answers).
    public func tdxCollateral(_ pki: SimulatedIntelPKI, evaluationDataNumber: Int = TDXCollateral.evaluationDataNumber) throws
        -> TDXCollateral
    {
        // The first word names the layout of what is kept: a new layout makes everything again.
        let inputs = "tdx-collateral-2 \(evaluationDataNumber) \(pki.platform) \(try CertificateIssuer.der(pki.root.certificate))"
        let documents = try PublishedDocuments.load(
            from: keyStore("tdx"), name: "tdx-collateral-\(evaluationDataNumber)", inputs: inputs
        ) {
            try TDXCollateral(pki: pki, evaluationDataNumber: evaluationDataNumber).published
        }
        guard let collateral = try TDXCollateral(pki: pki, published: documents) else {
            return try TDXCollateral(pki: pki, evaluationDataNumber: evaluationDataNumber)
        }
        return collateral
    }

    /// The ARK-signed CRL of `pki`'s chain listing `revoked` (what `tsmfs roots` writes as crl.der).
    public func amdRevocationList(_ pki: SimulatedAMDPKI, revoking revoked: [[UInt8]]) throws -> [UInt8] {
        let inputs = "amd crl \(pki.productLine.rawValue) \(pki.signer.rawValue) \(revoked) \(pki.arkDER)"
        let documents = try PublishedDocuments.load(
            from: keyStore("sev"), name: "\(pki.productLine.rawValue.lowercased())-\(pki.signer.rawValue)-crl", inputs: inputs
        ) {
            let now = Date()
            return [
                "crl": try pki.revocationList(
                    revoking: revoked, thisUpdate: now.addingTimeInterval(-3600),
                    nextUpdate: now.addingTimeInterval(30 * 24 * 3600))
            ]
        }
        return documents["crl"] ?? []
    }
}
