import AMDValues
import ByteLayout
import CBOR
import CCAToken
import Crypto
import Foundation
import SNPReport
import TDXDICEQuote
import TDXQuote
import X509

/// Named fields of any evidence tsmfs emits, as go-tdx-guest's and snpguest's display commands
/// show them. Fields are in layout order; byte strings are hex.
public enum Inspection {
    public struct Report: Sendable {
        public var kind: EvidenceKind
        public var fields: [(name: String, value: String)]

        /// `{"kind": …, "fields": {name: value, …}}` with the fields in order.
        public var json: String {
            let body = fields.map { "    \(jsonString($0.name)): \(jsonString($0.value))" }.joined(separator: ",\n")
            return "{\n  \"kind\": \(jsonString(kind.rawValue)),\n  \"fields\": {\n\(body)\n  }\n}"
        }

        public var text: String {
            let width = fields.map(\.name.count).max() ?? 0
            return
                ([kind.rawValue] + fields.map { $0.name.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + $0.value })
                .joined(separator: "\n")
        }
    }

    /// Decodes `bytes` (kind detected from them); a malformed file is an error naming the problem.
    public static func inspect(_ bytes: [UInt8]) throws(VerificationFailure) -> Report {
        guard let kind = EvidenceKind.detect(bytes) else {
            throw VerificationFailure(
                "evidence", "not a TDX quote, SNP report, SNP certificate table or CCA token (\(bytes.count) bytes)")
        }
        do {
            switch kind {
            case .tdxQuote:
                let quote = try TDQuote(parsing: bytes)
                return Report(
                    kind: kind,
                    fields: header(quote.header, quote.format) + body(quote.body, quote.format) + [
                        ("signature", quote.signature.hexString), ("attestation_key", quote.attestationKey.hexString),
                        ("qe_report.cpu_svn", quote.qeReport.cpuSVN.hexString),
                        ("qe_report.mr_enclave", quote.qeReport.mrEnclave.hexString),
                        ("qe_report.mr_signer", quote.qeReport.mrSigner.hexString),
                        ("qe_report.isv_prod_id", "\(quote.qeReport.isvProdID)"),
                        ("qe_report.isv_svn", "\(quote.qeReport.isvSVN)"),
                        ("qe_report.report_data", quote.qeReport.reportData.hexString),
                        ("qe_report_signature", quote.qeReportSignature.hexString), ("qe_auth_data", quote.qeAuthData.hexString),
                    ] + chain(quote.pckCertificateChain, "pck_chain"))
            case .tdxDICEQuote:
                return Report(kind: kind, fields: diceQuote(try DICEQuote(parsing: bytes)))
            case .snpReport:
                let report = try AttestationReport(parsing: bytes)
                func tcb(_ value: TCBVersion) -> String {
                    "bl=\(value.bootLoader) tee=\(value.tee) snp=\(value.snp) ucode=\(value.microcode)"
                }
                return Report(
                    kind: kind,
                    fields: [
                        ("version", "\(report.version)"), ("guest_svn", "\(report.guestSVN)"),
                        ("policy", "0x" + String(report.policy, radix: 16)), ("family_id", report.familyID.hexString),
                        ("image_id", report.imageID.hexString), ("vmpl", "\(report.vmpl)"),
                        ("signing_key", report.signingKey.rawValue), ("current_tcb", tcb(report.currentTCB)),
                        ("platform_info", "0x" + String(report.platformInfo, radix: 16)),
                        ("report_data", report.reportData.hexString),
                        ("measurement", report.measurement.hexString), ("host_data", report.hostData.hexString),
                        ("id_key_digest", report.idKeyDigest.hexString), ("author_key_digest", report.authorKeyDigest.hexString),
                        ("report_id", report.reportID.hexString), ("reported_tcb", tcb(report.reportedTCB)),
                        ("cpuid", "family \(report.cpuid.family) model \(report.cpuid.model) stepping \(report.cpuid.stepping)"),
                        ("chip_id", report.chipID.hexString), ("committed_tcb", tcb(report.committedTCB)),
                        ("launch_tcb", tcb(report.launchTCB)),
                        ("signature_r", report.signatureR.hexString), ("signature_s", report.signatureS.hexString),
                    ])
            case .snpCertificateTable:
                let table = try CertificateTable(parsing: bytes)
                return Report(
                    kind: kind,
                    fields: table.entries.map { entry in
                        (
                            "\(entry.kind)",
                            "\(entry.certificate.count) bytes, SHA-256 \(Array(SHA256.hash(data: entry.certificate)).hexString)"
                        )
                    })
            case .ccaToken:
                let token = try AttestationToken(parsing: bytes)
                let platform = try PlatformClaims(parsing: try CBORDecoder.decode(token.platform.payload))
                let realm = try RealmClaims(parsing: try CBORDecoder.decode(token.realm.payload))
                var fields: [(name: String, value: String)] = [
                    ("collection", token.collection == .cmw ? "CMW (tag 907)" : "CCA token collection (tag 399)"),
                    ("platform.algorithm", token.platform.algorithm?.name ?? "unknown"), ("platform.profile", platform.profile),
                    ("platform.challenge", platform.challenge.hexString),
                    ("platform.implementation_id", platform.implementationID.hexString),
                    ("platform.instance_id", platform.instanceID.hexString),
                    ("platform.config", platform.configuration.hexString),
                    ("platform.lifecycle", "0x" + String(platform.lifecycle, radix: 16)),
                    ("platform.verification_service", platform.verificationService),
                    ("platform.hash_algorithm", platform.hashAlgorithm),
                ]
                for (index, component) in platform.softwareComponents.enumerated() {
                    fields.append(
                        (
                            "platform.sw_component[\(index)]",
                            "\(component.type) \(component.version) \(component.measurement.hexString)"
                        ))
                }
                fields += [
                    ("realm.algorithm", token.realm.algorithm?.name ?? "unknown"), ("realm.profile", realm.profile ?? "(none)"),
                    ("realm.challenge", realm.challenge.hexString),
                    ("realm.personalization_value", realm.personalizationValue.hexString),
                    ("realm.hash_algorithm", realm.hashAlgorithm), ("realm.rim", realm.rim.hexString),
                ]
                for (index, rem) in realm.rems.enumerated() { fields.append(("realm.rem\(index)", rem.hexString)) }
                fields += [
                    ("realm.rak_hash_algorithm", realm.rakHashAlgorithm), ("realm.rak_public_key", realm.rakPublicKey.hexString),
                ]
                return Report(kind: kind, fields: fields)
            }
        } catch {
            throw VerificationFailure("\(kind.rawValue) layout", "\(error)")
        }
    }

    /// A DICE quote: its envelope, every claim (origin and current where they differ in meaning),
    /// the certificates and the module's TcbInfo.
    static func diceQuote(_ quote: DICEQuote) -> [(name: String, value: String)] {
        let claims = quote.claims
        let body = claims.body
        var fields: [(name: String, value: String)] = [
            ("format", "CWT / COSE_Sign1, \(claims.form.rawValue) form\(quote.cwtTagged ? "" : " (no CWT tag)")"),
            ("algorithm", quote.algorithm == DICEQuoteLabels.algorithmES384 ? "ES384" : "\(quote.algorithm)"),
            ("kid", quote.keyID?.hexString ?? "(none)"), ("content_type", quote.contentType ?? "(none)"),
            ("issuer", claims.issuer ?? "(none)"), ("eat_profile", claims.eatProfile ?? "(none)"),
            ("report_data", body.reportData.hexString),
            ("origin.tee_tcb_svn", body.teeTCBSVN.hexString), ("current.tee_tcb_svn", body.teeTCBSVN2.hexString),
        ]
        for (state, seam) in [("origin", claims.originSEAM), ("current", claims.currentSEAM)] {
            guard let seam else { continue }
            fields += [
                ("\(state).seam_attributes", seam.attributes.hexString), ("\(state).mr_seam", seam.mrSeam.hexString),
                ("\(state).mr_signer_seam", seam.mrSignerSeam.hexString),
            ]
        }
        fields += [
            ("td_attributes", body.tdAttributes.hexString), ("xfam", body.xfam.hexString), ("mr_td", body.mrTD.hexString),
            ("mr_config_id", body.mrConfigID.hexString), ("mr_owner", body.mrOwner.hexString),
            ("mr_owner_config", body.mrOwnerConfig.hexString),
        ]
        for (index, rtmr) in body.rtmrs.enumerated() { fields.append(("rtmr\(index)", rtmr.hexString)) }
        fields += [("mr_service_td", body.mrServiceTD.hexString), ("signature", quote.signature.hexString)]
        for (index, der) in quote.certificates.enumerated() {
            let subject = (try? Certificate(derEncoded: der))?.subject.description ?? "\(der.count) bytes (unparsable DER)"
            fields.append(("certificate[\(index)]", subject))
        }
        let infos = quote.certificates.compactMap { der -> DICETcbInfo? in
            guard let certificate = try? Certificate(derEncoded: der),
                let value = certificate.extensions.first(where: { $0.oid == DICETcbInfo.oid })?.value
            else { return nil }
            return try? DICETcbInfo(derEncoded: Array(value))
        }
        if let module = infos.first(where: { $0.layer == 1 }) {
            fields += [
                ("module.vendor", module.vendor ?? ""), ("module.model", module.model ?? ""),
                ("module.version", module.version ?? ""), ("module.svn", module.svn.map(String.init) ?? ""),
                ("module.fwid_sha384", module.sha384Digests.map(\.hexString).joined(separator: ",")),
            ]
        }
        return fields
    }

    static func header(_ header: QuoteHeader, _ format: TDQuote.Format) -> [(name: String, value: String)] {
        [
            ("version", "\(header.version)"), ("attestation_key_type", "\(header.attestationKeyType)"),
            ("tee_type", "0x" + String(header.teeType, radix: 16)), ("qe_vendor_id", header.qeVendorID.hexString),
            ("user_data", header.userData.hexString), ("body_type", "\(format.bodyKind.rawValue)"),
        ]
    }

    static func body(_ body: TDReportBody, _ format: TDQuote.Format) -> [(name: String, value: String)] {
        var fields: [(name: String, value: String)] = [
            ("tee_tcb_svn", body.teeTCBSVN.hexString), ("mr_seam", body.mrSeam.hexString),
            ("mr_signer_seam", body.mrSignerSeam.hexString), ("seam_attributes", body.seamAttributes.hexString),
            ("td_attributes", body.tdAttributes.hexString), ("xfam", body.xfam.hexString), ("mr_td", body.mrTD.hexString),
            ("mr_config_id", body.mrConfigID.hexString), ("mr_owner", body.mrOwner.hexString),
            ("mr_owner_config", body.mrOwnerConfig.hexString),
        ]
        for (index, rtmr) in body.rtmrs.enumerated() { fields.append(("rtmr\(index)", rtmr.hexString)) }
        fields.append(("report_data", body.reportData.hexString))
        if format.bodyKind == .tdx15 {
            fields += [("tee_tcb_svn2", body.teeTCBSVN2.hexString), ("mr_service_td", body.mrServiceTD.hexString)]
        }
        return fields
    }

    static func chain(_ pem: [UInt8], _ name: String) -> [(name: String, value: String)] {
        // An empty chain lists no certificates (the shared splitter calls it an error).
        if pem.isEmpty { return [] }
        guard let certificates = try? CertificatePath.certificates(pem: pem, name: name) else {
            return [("\(name)", "\(pem.count) bytes (unparsable PEM)")]
        }
        // The serial is what a CRL (and `revoked_serials`) names a certificate by.
        return certificates.enumerated().flatMap { index, certificate in
            [
                ("\(name)[\(index)]", certificate.subject.description),
                ("\(name)[\(index)].serial", Array(certificate.serialNumber.bytes).hexString),
            ]
        }
    }
}
