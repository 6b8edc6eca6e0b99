import ByteLayout
import Crypto
import Foundation
import SNPReport
import SwiftASN1
import _CryptoExtras

/// An SEV-SNP report with its certificate table: ARK (a trusted root from `tsmfs roots`) → ASK or
/// ASVK → VCEK or VLEK, each RSASSA-PSS SHA-384; the report's ECDSA P-384 signature by the VCEK;
/// the VCEK bound to the report (hwID = CHIP_ID, its TCB extensions = REPORTED_TCB).
public enum SNPReportVerifier {
    /// AMD's VCEK extensions: hwID and the security patch levels (boot loader, TEE, SNP, microcode).
    static let hardwareID: ASN1ObjectIdentifier = [1, 3, 6, 1, 4, 1, 3704, 1, 4]
    static let splBootLoader: ASN1ObjectIdentifier = [1, 3, 6, 1, 4, 1, 3704, 1, 3, 1]
    static let splTEE: ASN1ObjectIdentifier = [1, 3, 6, 1, 4, 1, 3704, 1, 3, 2]
    static let splSNP: ASN1ObjectIdentifier = [1, 3, 6, 1, 4, 1, 3704, 1, 3, 3]
    static let splMicrocode: ASN1ObjectIdentifier = [1, 3, 6, 1, 4, 1, 3704, 1, 3, 8]

    public static func verify(_ bytes: [UInt8], certificates table: [UInt8], roots: TrustRoots, reportData: [UInt8]?)
        throws(VerificationFailure) -> Verdict
    {
        var checks: [String] = []
        let report: AttestationReport
        do { report = try AttestationReport(parsing: bytes) } catch { throw VerificationFailure("report layout", "\(error)") }
        checks.append("report layout")
        let certificates: CertificateTable
        do { certificates = try CertificateTable(parsing: table) } catch {
            throw VerificationFailure("certificate table", "\(error)")
        }
        let signerKind = CertificateTable.Kind(report.signingKey)
        guard let arkDER = certificates.certificate(.ark), let intermediateDER = certificates.certificate(.ask),
            let signerDER = certificates.certificate(signerKind)
        else { throw VerificationFailure("certificate table", "needs ARK, ASK (or ASVK) and the \(signerKind) certificate") }
        checks.append("certificate table")
        let lines = roots.amdProductLines
        guard
            let line = lines.first(where: { line in
                (try? roots.file("\(line)/ark.der", check: "ARK")) == arkDER
            })
        else {
            throw VerificationFailure("ARK", "the table's ARK is none of the trusted roots (\(lines.joined(separator: ", ")))")
        }
        checks.append("ARK is the trusted \(line) root")
        let ark: DERCertificate
        let intermediate: DERCertificate
        let signer: DERCertificate
        do {
            (ark, intermediate, signer) = (
                try DERCertificate(der: arkDER), try DERCertificate(der: intermediateDER), try DERCertificate(der: signerDER)
            )
        } catch { throw VerificationFailure("certificate table", "a certificate does not parse: \(error)") }
        try requirePSS(ark, signedBy: ark, "ARK self-signature", &checks)
        try requirePSS(intermediate, signedBy: ark, "ASK signed by the ARK", &checks)
        try requirePSS(signer, signedBy: intermediate, "\(signerKind) signed by the ASK", &checks)
        // The product line's CRL (AMD's KDS serves it; tsmfs roots writes it): the ARK's, current,
        // revoking neither the intermediate nor the signing key.
        let crlBytes = try roots.file("\(line)/crl.der", check: "\(line) CRL")
        guard let crl = try? RevocationList(der: crlBytes) else {
            throw VerificationFailure("\(line) CRL", "\(line)/crl.der is not a DER CRL")
        }
        let arkKey = try? _RSA.Signing.PublicKey(derRepresentation: ark.subjectPublicKeyInfo)
        try crl.check(
            "\(line) CRL", issuer: ark.subject, at: Date(),
            isSignedByIssuer: arkKey?.isValidSignature(
                _RSA.Signing.RSASignature(rawRepresentation: crl.signature), for: SHA384.hash(data: crl.tbs), padding: .PSS)
                == true,
            certificates: [
                (signerKind == .vcek ? "ASK" : "ASVK", intermediate.serial),
                (signerKind == .vcek ? "VCEK" : "VLEK", signer.serial),
            ], into: &checks)

        guard let key = try? P384.Signing.PublicKey(derRepresentation: signer.subjectPublicKeyInfo),
            let signature = try? P384.Signing.ECDSASignature(rawRepresentation: report.signatureR + report.signatureS)
        else { throw VerificationFailure("report signature", "the \(signerKind) key or the signature is not P-384") }
        // The signature covers the bytes as received, not a re-encoding of what the parser read.
        let signed = Array(bytes[0..<AttestationReport.signedSize])
        try require(key.isValidSignature(signature, for: signed), "report signature", "not the \(signerKind)'s", into: &checks)
        if signerKind == .vcek {
            let hwID = signer.extensionValue(hardwareID)
            try require(
                hwID == report.chipID || hwID == [0x04, 0x40] + report.chipID, "VCEK hwID", "the VCEK is not this chip's",
                into: &checks)
            let levels: [(ASN1ObjectIdentifier, UInt8, String)] = [
                (splBootLoader, report.reportedTCB.bootLoader, "boot loader"), (splTEE, report.reportedTCB.tee, "TEE"),
                (splSNP, report.reportedTCB.snp, "SNP"), (splMicrocode, report.reportedTCB.microcode, "microcode"),
            ]
            for (oid, level, name) in levels where signer.integerExtension(oid) != Int(level) {
                throw VerificationFailure("VCEK TCB", "the VCEK certifies another \(name) SPL than REPORTED_TCB's \(level)")
            }
            checks.append("VCEK TCB")
        }
        if let reportData {
            try require(report.reportData == reportData, "report data", "REPORT_DATA differs from --report-data", into: &checks)
        }
        return Verdict(kind: .snpReport, checks: checks, notes: ["VMPL \(report.vmpl)", "product line \(line)"])
    }

    private static func requirePSS(
        _ certificate: DERCertificate, signedBy issuer: DERCertificate, _ name: String, _ checks: inout [String]
    ) throws(VerificationFailure) {
        guard certificate.issuer == issuer.subject else { throw VerificationFailure(name, "the issuer name is not the signer's") }
        guard certificate.algorithmsAgree, certificate.signaturePaddingBits == 0 else {
            throw VerificationFailure(name, "the outer signature algorithm or signature encoding differs from what was signed")
        }
        guard let key = try? _RSA.Signing.PublicKey(derRepresentation: issuer.subjectPublicKeyInfo) else {
            throw VerificationFailure(name, "the issuer's key is not RSA")
        }
        let signature = _RSA.Signing.RSASignature(rawRepresentation: certificate.signature)
        try require(
            key.isValidSignature(signature, for: SHA384.hash(data: certificate.tbs), padding: .PSS), name,
            "not an RSASSA-PSS SHA-384 signature of the issuer", into: &checks)
    }
}
