import ByteLayout
import Crypto
import Foundation
import TDXDICEQuote
import X509

/// A DICE-based TDX quote (a CWT / COSE_Sign1 as Intel's quoting extension makes it): the
/// certificates of the unprotected header form one path to the trusted DICE root, the quoting key
/// (the path's end entity) signed the Sig_structure over the protected header and payload as
/// received, and the TDX module certificate's tcg-dice-TcbInfo names the module the claims call
/// current. No collateral is needed. The unprotected header is not signed, so every item in it
/// must be accounted for: no label beyond kid, content type and certificates, each certificate on
/// the path (and exactly what its issuer signed), the kid naming the quoting key, a known content type.
public enum DICEQuoteVerifier {
    /// The content types a DICE quote may name: EAT in a CWT, with or without Intel's profile.
    static let contentTypes = ["application/eat+cwt", "application/eat+cwt; eat_profile=2.16.840.1.113741.1.16.1"]

    public static func verify(_ bytes: [UInt8], roots: TrustRoots, reportData: [UInt8]?, now: Date = Date())
        async throws(VerificationFailure) -> Verdict
    {
        var checks: [String] = []
        let quote: DICEQuote
        do { quote = try DICEQuote(parsing: bytes) } catch { throw VerificationFailure("quote layout", "\(error)") }
        checks.append("quote layout")
        let known = [DICEQuoteLabels.Header.keyID, DICEQuoteLabels.Header.contentType, DICEQuoteLabels.Header.x5bag]
        if let unknown = quote.unprotectedLabels.first(where: { label in label.map { !known.contains($0) } ?? true }) {
            throw VerificationFailure(
                "unprotected header",
                "\(unknown.map { "label \($0)" } ?? "a text label") is not kid, content type or x5bag (the unprotected header is not signed)"
            )
        }
        try require(
            !quote.certificatesOrdered, "certificates",
            "the certificates are an x5chain (label 33); Intel's DICE quotes carry them as an x5bag (label 32)", into: &checks)
        if let contentType = quote.contentType {
            try require(
                contentTypes.contains(contentType), "content type",
                "\"\(contentType)\" is not \(contentTypes.map { "\"\($0)\"" }.joined(separator: " or "))", into: &checks)
        }
        let root = try CertificatePath.certificate(
            der: try roots.file("dice-root-ca.der", check: "DICE chain"), name: "DICE root")
        let path = try path(quote.certificates, to: root)
        try await CertificatePath.validate(path, to: root, at: now, name: "DICE chain")
        checks.append("DICE chain")
        let leaf = path[0]
        if let keyID = quote.keyID {
            let identifier = (try? leaf.extensions.subjectKeyIdentifier).flatMap { $0 }.map { Array($0.keyIdentifier) }
            try require(
                identifier == keyID, "key id", "kid \(keyID.hexString) is not the quoting key's subject key identifier",
                into: &checks)
        }
        guard let key = P384.Signing.PublicKey(leaf.publicKey),
            let signature = try? P384.Signing.ECDSASignature(rawRepresentation: quote.signature)
        else { throw VerificationFailure("quote signature", "the quoting key is not P-384 or the signature is not r ‖ s") }
        try require(
            key.isValidSignature(signature, for: quote.toBeSigned), "quote signature",
            "the COSE signature is not the quoting key's (ES384 over the protected header and payload as received)",
            into: &checks)

        let claims = quote.claims
        guard path.count > 1, let extensionValue = path[1].extensions.first(where: { $0.oid == DICETcbInfo.oid })?.value,
            let info = try? DICETcbInfo(derEncoded: Array(extensionValue)), let svn = info.svn
        else { throw VerificationFailure("module TcbInfo", "the quoting key's issuer has no readable tcg-dice-TcbInfo") }
        let current = claims.currentSEAM ?? claims.originSEAM
        try require(
            svn == Int(claims.body.teeTCBSVN2[0]), "module SVN",
            "the module certificate says SVN \(svn), the claims' current tee_tcb_svn[0] is \(claims.body.teeTCBSVN2[0])",
            into: &checks)
        try require(
            info.sha384Digests == [current.mrSeam], "module measurement",
            "the module certificate's FWID is not the claims' current MRSEAM", into: &checks)
        if let reportData {
            try require(
                claims.body.reportData == reportData, "report data", "report_data differs from --report-data", into: &checks)
        }
        var notes = ["\(claims.form.rawValue) form", "module SVN \(svn)"]
        if claims.body.teeTCBSVN != claims.body.teeTCBSVN2 || current != claims.originSEAM {
            notes.append("module updated since launch (origin SVN \(claims.body.teeTCBSVN[0]))")
        }
        return Verdict(kind: .tdxDICEQuote, checks: checks, notes: notes)
    }

    /// The certificates ordered from the end entity to the root: the bag's one certificate that
    /// issues no other is the end entity, each next one is its issuer by name, and every
    /// certificate of the bag must be on that path (a copy of the root included).
    static func path(_ ders: [[UInt8]], to root: Certificate) throws(VerificationFailure) -> [Certificate] {
        var certificates: [Certificate] = []
        for der in ders { certificates.append(try CertificatePath.certificate(der: der, name: "DICE chain")) }
        let ends = certificates.filter { candidate in
            !certificates.contains { $0 != candidate && $0.issuer == candidate.subject }
        }
        guard ends.count == 1, var current = ends.first else {
            throw VerificationFailure("DICE chain", "the certificates hold \(ends.count) end entities, not one path")
        }
        var path = [current]
        while current != root, current.issuer != current.subject,
            let issuer = certificates.first(where: { $0.subject == current.issuer && !path.contains($0) })
        {
            path.append(issuer)
            current = issuer
        }
        guard path.count == certificates.count else {
            throw VerificationFailure(
                "DICE chain", "\(certificates.count - path.count) certificate(s) of the unprotected header are not on the path")
        }
        return path
    }
}
