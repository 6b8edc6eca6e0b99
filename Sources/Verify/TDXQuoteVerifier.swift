import ByteLayout
import Crypto
import Foundation
import SwiftASN1
import TDXQuote
import X509

/// A QE-based TDX quote: the PCK chain to the trusted Intel root, the QE report signed by the PCK
/// and binding the attestation key, the quote signed by that key — and, with collateral, the TCB
/// info and QE identity signed under the same root, applied to the quote (FMSPC, TDX module
/// identity, TCB level by TEE_TCB_SVN, QE identity under its masks).
public enum TDXQuoteVerifier {
    public static func verify(_ bytes: [UInt8], roots: TrustRoots, reportData: [UInt8]?, now: Date = Date())
        async throws(VerificationFailure) -> Verdict
    {
        var checks: [String] = []
        var notes: [String] = []
        let quote: TDQuote
        do { quote = try TDQuote(parsing: bytes) } catch { throw VerificationFailure("quote layout", "\(error)") }
        checks.append("quote layout")
        let root = try CertificatePath.certificate(
            der: try roots.file("intel-sgx-root-ca.der", check: "PCK chain"), name: "Intel root")
        let chain = try CertificatePath.canonicalCertificates(pem: quote.pckCertificateChain, name: "PCK chain")
        try await CertificatePath.validate(chain, to: root, at: now, name: "PCK chain")
        checks.append("PCK chain")

        // Signatures cover the bytes as received, reserved fields included: take them from the quote.
        guard let signedLength = try? TDQuote.parseSignedPart(bytes).length else {
            throw VerificationFailure("quote layout", "the header and body do not parse")
        }
        let qeReportOffset = signedLength + 4 + 128 + 6
        let qeReportBytes = Array(bytes[qeReportOffset..<qeReportOffset + EnclaveReport.size])
        let signed = Array(bytes[0..<signedLength])
        guard let pckKey = P256.Signing.PublicKey(chain[0].publicKey),
            let qeSignature = try? P256.Signing.ECDSASignature(rawRepresentation: quote.qeReportSignature)
        else { throw VerificationFailure("QE report signature", "the PCK key or the signature is not P-256") }
        try require(
            pckKey.isValidSignature(qeSignature, for: qeReportBytes), "QE report signature", "not the PCK's", into: &checks)
        let binding = Array(SHA256.hash(data: quote.attestationKey + quote.qeAuthData)) + [UInt8](repeating: 0, count: 32)
        try require(
            quote.qeReport.reportData == binding, "attestation key binding",
            "QE REPORTDATA is not SHA-256(attestation key ‖ QE authentication data)", into: &checks)
        guard let attestationKey = try? P256.Signing.PublicKey(rawRepresentation: quote.attestationKey),
            let signature = try? P256.Signing.ECDSASignature(rawRepresentation: quote.signature)
        else { throw VerificationFailure("quote signature", "the attestation key or signature is not P-256") }
        try require(
            attestationKey.isValidSignature(signature, for: signed), "quote signature",
            "the header and body are not signed by the attestation key", into: &checks)
        if let reportData {
            try require(
                quote.body.reportData == reportData, "report data", "REPORTDATA differs from --report-data", into: &checks)
        }
        if let collateralDirectory = roots.collateralDirectory {
            let collateral = try Collateral(directory: collateralDirectory, roots: roots, root: root, now: now)
            try collateral.checkRevocation(chain: chain, checks: &checks)
            notes += try await collateral.appraise(quote, pck: chain[0], checks: &checks)
        }
        return Verdict(kind: .tdxQuote, checks: checks, notes: notes)
    }
}

/// Intel's collateral as `tsmfs collateral` writes it (collateral.json, the layout dcap-qvl reads).
struct Collateral {
    let json: [String: Any]
    let root: Certificate
    let now: Date

    init(directory: String, roots: TrustRoots, root: Certificate, now: Date) throws(VerificationFailure) {
        let bytes = try roots.file("collateral.json", in: directory, check: "collateral")
        guard let json = (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any] else {
            throw VerificationFailure("collateral", "collateral.json is not a JSON object")
        }
        self.json = json
        self.root = root
        self.now = now
    }

    /// The signed JSON body named `key`, its signature checked under the issuer chain.
    func signedBody(_ key: String) async throws(VerificationFailure) -> [String: Any] {
        let check = "\(key) signature"
        guard let text = json[key] as? String, let signatureHex = json["\(key)_signature"] as? String,
            let chainPEM = json["\(key)_issuer_chain"] as? String, let signatureBytes = [UInt8](hex: signatureHex)
        else { throw VerificationFailure(check, "collateral.json lacks \(key), its signature or its issuer chain") }
        let chain = try CertificatePath.canonicalCertificates(pem: Array(chainPEM.utf8), name: check)
        try await CertificatePath.validate(chain, to: root, at: now, name: check)
        guard let key = P256.Signing.PublicKey(chain[0].publicKey),
            let signature = try? P256.Signing.ECDSASignature(rawRepresentation: signatureBytes),
            key.isValidSignature(signature, for: Array(text.utf8))
        else { throw VerificationFailure(check, "not signed by the TCB signing key") }
        guard let body = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] else {
            throw VerificationFailure(check, "the signed body is not JSON")
        }
        let formatter = ISO8601DateFormatter()
        guard let issued = (body["issueDate"] as? String).flatMap(formatter.date),
            let next = (body["nextUpdate"] as? String).flatMap(formatter.date),
            issued <= now, now <= next
        else { throw VerificationFailure("\(key) validity", "issued in the future or past its nextUpdate") }
        return body
    }

    /// The root CA CRL (the root's) must not revoke the Platform CA, the PCK CRL (the Platform CA's)
    /// not the PCK; both signed and current.
    func checkRevocation(chain: [Certificate], checks: inout [String]) throws(VerificationFailure) {
        guard chain.count >= 2 else { throw VerificationFailure("PCK chain", "no Platform CA to check revocation against") }
        for (key, issuer, subject, name) in [
            ("root_ca_crl", root, (chain[1], "Platform CA"), "root CA CRL"), ("pck_crl", chain[1], (chain[0], "PCK"), "PCK CRL"),
        ] {
            guard let hex = json[key] as? String, let der = [UInt8](hex: hex), let crl = try? RevocationList(der: der) else {
                throw VerificationFailure(name, "collateral.json has no readable \(key)")
            }
            let signature = try? P256.Signing.ECDSASignature(derRepresentation: crl.signature)
            let signed =
                signature.map { P256.Signing.PublicKey(issuer.publicKey)?.isValidSignature($0, for: crl.tbs) == true } ?? false
            try crl.check(
                name, issuer: Self.der(issuer.subject), at: now, isSignedByIssuer: signed,
                certificates: [(subject.1, Array(subject.0.serialNumber.bytes))], into: &checks)
        }
    }

    private static func der(_ name: DistinguishedName) -> [UInt8] {
        var serializer = DER.Serializer()
        try? serializer.serialize(name)
        return serializer.serializedBytes
    }

    func appraise(_ quote: TDQuote, pck: Certificate, checks: inout [String]) async throws(VerificationFailure) -> [String] {
        let tcbInfo = try await signedBody("tcb_info")
        checks.append("TCB info signature")
        guard let platform = PCKPlatform(pck) else {
            throw VerificationFailure("PCK SGX extension", "the PCK certificate has no readable FMSPC and TCB")
        }
        try require(
            (tcbInfo["fmspc"] as? String)?.uppercased() == platform.fmspc.upperHexString, "FMSPC",
            "the TCB info is for FMSPC \(tcbInfo["fmspc"] ?? "-"), the PCK's is \(platform.fmspc.upperHexString)",
            into: &checks)
        let svn = quote.body.teeTCBSVN
        var statuses: [String] = []
        if let identities = tcbInfo["tdxModuleIdentities"] as? [[String: Any]] {
            let id = String(format: "TDX_%02X", svn[1])
            guard let identity = identities.first(where: { ($0["id"] as? String) == id }) else {
                throw VerificationFailure("TDX module identity", "no identity \(id) for TEE_TCB_SVN[1] = \(svn[1])")
            }
            try require(
                (identity["mrsigner"] as? String)?.uppercased() == quote.body.mrSignerSeam.upperHexString, "TDX module identity",
                "MRSIGNERSEAM differs from \(id)'s mrsigner", into: &checks)
            let level = (identity["tcbLevels"] as? [[String: Any]])?.first { level in
                ((level["tcb"] as? [String: Any])?["isvsvn"] as? Int).map { $0 <= Int(svn[0]) } ?? false
            }
            guard let status = level?["tcbStatus"] as? String else {
                throw VerificationFailure("TDX module TCB", "TEE_TCB_SVN[0] = \(svn[0]) is below every level of \(id)")
            }
            statuses.append(status)
        }
        // Intel's rule: the first level whose SGX components and PCE SVN the PCK meets and whose TDX
        // components TEE_TCB_SVN meets (byte 1 selects the module identity instead, when there are any).
        let levels = (tcbInfo["tcbLevels"] as? [[String: Any]]) ?? []
        func svns(_ level: [String: Any], _ key: String) -> [Int] {
            (((level["tcb"] as? [String: Any])?[key] as? [[String: Any]]) ?? []).map { $0["svn"] as? Int ?? Int.max }
        }
        let platformLevel = levels.first { level in
            let sgx = svns(level, "sgxtcbcomponents")
            let tdx = svns(level, "tdxtcbcomponents")
            let pce = ((level["tcb"] as? [String: Any])?["pcesvn"] as? Int) ?? Int.max
            return sgx.count == 16 && tdx.count == 16 && pce <= platform.pceSVN
                && zip(sgx, platform.sgxComponents).allSatisfy { $0 <= $1 }
                && tdx.enumerated().allSatisfy { index, value in
                    index == 1 && tcbInfo["tdxModuleIdentities"] != nil || value <= Int(svn[index])
                }
        }
        guard let platformStatus = platformLevel?["tcbStatus"] as? String else {
            throw VerificationFailure(
                "TCB level",
                "no TCB level is met by the PCK's SGX TCB and PCE SVN \(platform.pceSVN) with TEE_TCB_SVN \(svn.hexString)")
        }
        statuses.append(platformStatus)
        checks.append("TCB level")

        let qeIdentity = try await signedBody("qe_identity")
        checks.append("QE identity signature")
        let report = quote.qeReport
        func masked(_ value: [UInt8], _ mask: [UInt8]) -> [UInt8] { zip(value, mask).map { $0 & $1 } }
        let miscMask = [UInt8](hex: qeIdentity["miscselectMask"] as? String ?? "") ?? []
        let misc = [UInt8](hex: qeIdentity["miscselect"] as? String ?? "") ?? []
        var reportMisc: [UInt8] = []
        reportMisc.appendLittleEndian(report.miscSelect)
        let attributesMask = [UInt8](hex: qeIdentity["attributesMask"] as? String ?? "") ?? []
        let attributes = [UInt8](hex: qeIdentity["attributes"] as? String ?? "") ?? []
        try require(
            (qeIdentity["mrsigner"] as? String)?.uppercased() == report.mrSigner.upperHexString
                && qeIdentity["isvprodid"] as? Int == Int(report.isvProdID)
                && masked(reportMisc.reversed(), miscMask) == masked(misc, miscMask)
                && masked(report.attributes, attributesMask) == masked(attributes, attributesMask),
            "QE identity", "the QE report's MRSIGNER, ISVPRODID, MISCSELECT or ATTRIBUTES differ from the QE identity",
            into: &checks)
        let qeLevel = (qeIdentity["tcbLevels"] as? [[String: Any]])?.first { level in
            ((level["tcb"] as? [String: Any])?["isvsvn"] as? Int).map { $0 <= Int(report.isvSVN) } ?? false
        }
        guard let qeStatus = qeLevel?["tcbStatus"] as? String else {
            throw VerificationFailure("QE TCB", "QE ISVSVN \(report.isvSVN) is below every level")
        }
        statuses.append(qeStatus)
        if statuses.contains("Revoked") { throw VerificationFailure("TCB status", "Revoked") }
        let status = statuses.first { $0 != "UpToDate" } ?? "UpToDate"
        return ["TCB status \(status)"]
    }
}
