import AMDPKI
import AMDValues
import ByteLayout
import Crypto
import SNPReport
import SigningKeys

/// What an SEV-SNP report's signature covers, and which key makes it — in one place: the chip's
/// **VCEK** (or a cloud provider's **VLEK**), certified by the ASK (or ASVK) under the product
/// line's ARK, signs bytes 0x000–0x29F of the report with ECDSA P-384/SHA-384 and RFC 6979 nonces,
/// so one request always gives the same report. The signer info field names the key.
public final class ReportSigner: Sendable {
    private let key: P384.Signing.PrivateKey
    private let signer: EndorsementKey
    /// The certificates a verifier needs, as the host hands them to the guest (auxblob).
    public let certificateTable: CertificateTable

    public init(pki: SimulatedAMDPKI) {
        self.key = pki.signerKey
        self.signer = pki.signer
        self.certificateTable = CertificateTable.of(pki)
    }

    /// Signs `report` in place, first recording the signing key in its signer info.
    public func sign(_ report: inout AttestationReport) throws(LayoutError) {
        report.signingKey = signer
        let signature = DeterministicECDSA.sign(try report.signedBytes, with: key)
        report.signatureR = Array(signature[0..<48])
        report.signatureS = Array(signature[48..<96])
    }
}

extension CertificateTable {
    /// The table a host supplies for `pki`: ARK, ASK (or the ASVK, under the ASK's GUID as the
    /// GHCB specification has no other), then the VCEK or VLEK.
    public static func of(_ pki: SimulatedAMDPKI) -> CertificateTable {
        CertificateTable([
            (.ark, pki.arkDER), (.ask, pki.intermediateDER),
            (pki.signer == .vcek ? .vcek : .vlek, pki.signerDER),
        ])
    }
}
