import ByteLayout
import Crypto
import DICEPKI
import Foundation
import TDXDICEQuote
import TDXQuote
import X509

/// A DICE-based TDX quote (tsmfs's provisional layout): the DICE chain to the trusted DICE root,
/// the quote signed by the chain's leaf (the quoting key), and the TDX module's TcbInfo (SVN, FWID)
/// equal to the body's TEE_TCB_SVN and MRSEAM. No collateral is needed.
public enum DICEQuoteVerifier {
    public static func verify(_ bytes: [UInt8], roots: TrustRoots, reportData: [UInt8]?, now: Date = Date())
        throws(VerificationFailure) -> Verdict
    {
        var checks: [String] = []
        let quote: DICEQuote
        do { quote = try DICEQuote(parsing: bytes) } catch { throw VerificationFailure("quote layout", "\(error)") }
        checks.append("quote layout")
        let root = try CertificatePath.certificate(
            der: try roots.file("dice-root-ca.der", check: "DICE chain"), name: "DICE root")
        let chain = try CertificatePath.canonicalCertificates(pem: quote.certificateChainPEM, name: "DICE chain")
        try require(chain.count >= 3, "DICE chain", "expected quoting key, module and DeviceID certificates", into: &checks)
        try CertificatePath.validate(chain, to: root, at: now, name: "DICE chain")
        guard let key = P256.Signing.PublicKey(chain[0].publicKey),
            let signature = try? P256.Signing.ECDSASignature(rawRepresentation: quote.signature),
            let signedLength = try? TDQuote.parseSignedPart(bytes).length
        else { throw VerificationFailure("quote signature", "the quoting key or signature is not P-256") }
        // The signature covers the bytes as received, reserved fields included.
        let signed = Array(bytes[0..<signedLength])
        try require(
            key.isValidSignature(signature, for: signed), "quote signature", "not signed by the DICE chain's quoting key",
            into: &checks)
        guard let info = DICEExtensions.TcbInfo(in: chain[1]) else {
            throw VerificationFailure("module TcbInfo", "the module certificate has no readable tcg-dice-TcbInfo")
        }
        try require(
            info.svn == Int(quote.body.teeTCBSVN[0]), "module SVN",
            "the module certificate says SVN \(info.svn), the body's TEE_TCB_SVN[0] is \(quote.body.teeTCBSVN[0])", into: &checks)
        try require(
            info.fwids == [quote.body.mrSeam], "module measurement", "the module certificate's FWID is not the body's MRSEAM",
            into: &checks)
        if let reportData {
            try require(
                quote.body.reportData == reportData, "report data", "REPORTDATA differs from --report-data", into: &checks)
        }
        return Verdict(kind: .tdxDICEQuote, checks: checks, notes: ["module SVN \(info.svn)"])
    }
}
