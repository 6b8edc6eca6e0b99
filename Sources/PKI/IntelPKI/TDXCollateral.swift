import ByteLayout
import Crypto
import Foundation
import SimulatedPKI

/// Signed collateral for the simulated platform: what a verifier would otherwise fetch from
/// Intel's PCS. TCB info (v3, id "TDX") and QE identity (v2, id "TD_QE") are compact JSON
/// signed by the TCB signing key over their exact bytes; the CRLs are signed by their CAs and
/// list the platform's revoked serials (the Platform CA's in the root CA CRL, the rest in the
/// PCK CRL).
public struct TDXCollateral: Sendable {
    public var tcbInfo: String
    public var tcbInfoSignature: [UInt8]
    public var qeIdentity: String
    public var qeIdentitySignature: [UInt8]
    /// The same platform's SGX TCB info (id "SGX") and the SGX QE's identity (id "QE"), which PCS
    /// publishes beside the TDX ones for the FMSPC.
    public var sgxTCBInfo: String
    public var sgxTCBInfoSignature: [UInt8]
    public var sgxQEIdentity: String
    public var sgxQEIdentitySignature: [UInt8]
    public var rootCACRL: [UInt8]
    public var pckCRL: [UInt8]
    /// TCB signing certificate, then root (PEM).
    public var tcbInfoIssuerChain: String
    /// Platform CA, then root (PEM).
    public var pckCRLIssuerChain: String

    /// The TCB evaluation data number of the collateral tsmfs writes.
    public static let evaluationDataNumber = 17

    /// How long the collateral stays valid.
    public static let validity: TimeInterval = 30 * 24 * 3600

    /// - Parameter revoked: the serials the CRLs list; the platform's `revokedSerials` unless given.
    /// - Parameter evaluationDataNumber: the TCB evaluation the collateral belongs to; a TCB
    ///   recovery publishes a higher one.
    public init(
        pki: SimulatedIntelPKI, now: Date = Date(), revoked: [[UInt8]]? = nil,
        evaluationDataNumber: Int = TDXCollateral.evaluationDataNumber
    ) throws {
        let platform = pki.platform
        let issued = now.addingTimeInterval(-3600)
        let expires = now.addingTimeInterval(Self.validity)
        tcbInfo = Self.tcbInfoJSON(platform, issued: issued, expires: expires, evaluation: evaluationDataNumber)
        qeIdentity = Self.qeIdentityJSON(platform, issued: issued, expires: expires, evaluation: evaluationDataNumber)
        tcbInfoSignature = Array(try pki.tcbSigning.key.signature(for: Array(tcbInfo.utf8)).rawRepresentation)
        qeIdentitySignature = Array(try pki.tcbSigning.key.signature(for: Array(qeIdentity.utf8)).rawRepresentation)
        sgxTCBInfo = Self.sgxTCBInfoJSON(platform, issued: issued, expires: expires, evaluation: evaluationDataNumber)
        sgxQEIdentity = Self.qeIdentityJSON(
            platform, issued: issued, expires: expires, evaluation: evaluationDataNumber, id: "QE", productID: 1)
        sgxTCBInfoSignature = Array(try pki.tcbSigning.key.signature(for: Array(sgxTCBInfo.utf8)).rawRepresentation)
        sgxQEIdentitySignature = Array(try pki.tcbSigning.key.signature(for: Array(sgxQEIdentity.utf8)).rawRepresentation)
        let platformCASerial = Array(pki.platformCA.certificate.serialNumber.bytes)
        let revoked = revoked ?? platform.revokedSerials
        rootCACRL = try CRLBuilder.ecdsaCRL(
            issuer: pki.root.certificate.subject, issuerKey: pki.root.key,
            authorityKeyIdentifier: pki.root.keyIdentifier, number: 1,
            thisUpdate: issued, nextUpdate: expires, revoked: revoked.filter { $0 == platformCASerial })
        pckCRL = try CRLBuilder.ecdsaCRL(
            issuer: pki.platformCA.certificate.subject, issuerKey: pki.platformCA.key,
            authorityKeyIdentifier: pki.platformCA.keyIdentifier, number: 1,
            thisUpdate: issued, nextUpdate: expires, revoked: revoked.filter { $0 != platformCASerial })
        let rootPEM = try CertificateIssuer.pem(pki.root.certificate)
        tcbInfoIssuerChain = try CertificateIssuer.pem(pki.tcbSigning.certificate) + rootPEM
        pckCRLIssuerChain = try CertificateIssuer.pem(pki.platformCA.certificate) + rootPEM
    }

    /// The documents a store keeps for ``init(pki:published:)``.
    public var published: [String: [UInt8]] {
        [
            "tcb-info": Array(tcbInfo.utf8), "tcb-info-signature": tcbInfoSignature, "qe-identity": Array(qeIdentity.utf8),
            "qe-identity-signature": qeIdentitySignature, "root-ca-crl": rootCACRL, "pck-crl": pckCRL,
            "sgx-tcb-info": Array(sgxTCBInfo.utf8), "sgx-tcb-info-signature": sgxTCBInfoSignature,
            "sgx-qe-identity": Array(sgxQEIdentity.utf8), "sgx-qe-identity-signature": sgxQEIdentitySignature,
        ]
    }

    /// Collateral published earlier (``published``); the issuer chains come from `pki`.
    public init?(pki: SimulatedIntelPKI, published: [String: [UInt8]]) throws {
        guard let tcbInfo = published["tcb-info"], let tcbInfoSignature = published["tcb-info-signature"],
            let qeIdentity = published["qe-identity"], let qeIdentitySignature = published["qe-identity-signature"],
            let rootCACRL = published["root-ca-crl"], let pckCRL = published["pck-crl"],
            let sgxTCBInfo = published["sgx-tcb-info"], let sgxTCBInfoSignature = published["sgx-tcb-info-signature"],
            let sgxQEIdentity = published["sgx-qe-identity"], let sgxQEIdentitySignature = published["sgx-qe-identity-signature"]
        else { return nil }
        self.sgxTCBInfo = String(decoding: sgxTCBInfo, as: UTF8.self)
        self.sgxTCBInfoSignature = sgxTCBInfoSignature
        self.sgxQEIdentity = String(decoding: sgxQEIdentity, as: UTF8.self)
        self.sgxQEIdentitySignature = sgxQEIdentitySignature
        self.tcbInfo = String(decoding: tcbInfo, as: UTF8.self)
        self.tcbInfoSignature = tcbInfoSignature
        self.qeIdentity = String(decoding: qeIdentity, as: UTF8.self)
        self.qeIdentitySignature = qeIdentitySignature
        self.rootCACRL = rootCACRL
        self.pckCRL = pckCRL
        let rootPEM = try CertificateIssuer.pem(pki.root.certificate)
        tcbInfoIssuerChain = try CertificateIssuer.pem(pki.tcbSigning.certificate) + rootPEM
        pckCRLIssuerChain = try CertificateIssuer.pem(pki.platformCA.certificate) + rootPEM
    }

    /// PCS's response body for TCB info: `{"tcbInfo":…,"signature":"<hex r‖s>"}`.
    public var tcbInfoResponse: String { #"{"tcbInfo":\#(tcbInfo),"signature":"\#(hex(tcbInfoSignature))"}"# }

    /// PCS's response body for the QE identity.
    public var qeIdentityResponse: String {
        #"{"enclaveIdentity":\#(qeIdentity),"signature":"\#(hex(qeIdentitySignature))"}"#
    }

    /// The same for the SGX TCB info and the SGX QE identity.
    public var sgxTCBInfoResponse: String { #"{"tcbInfo":\#(sgxTCBInfo),"signature":"\#(hex(sgxTCBInfoSignature))"}"# }
    public var sgxQEIdentityResponse: String {
        #"{"enclaveIdentity":\#(sgxQEIdentity),"signature":"\#(hex(sgxQEIdentitySignature))"}"#
    }

    /// The layout `dcap_qvl.QuoteCollateralV3.from_json` reads (byte fields as hex).
    public var collateralJSON: String {
        let fields: [(String, String)] = [
            ("pck_crl_issuer_chain", jsonString(pckCRLIssuerChain)),
            ("root_ca_crl", jsonString(hex(rootCACRL))),
            ("pck_crl", jsonString(hex(pckCRL))),
            ("tcb_info_issuer_chain", jsonString(tcbInfoIssuerChain)),
            ("tcb_info", jsonString(tcbInfo)),
            ("tcb_info_signature", jsonString(hex(tcbInfoSignature))),
            ("qe_identity_issuer_chain", jsonString(tcbInfoIssuerChain)),
            ("qe_identity", jsonString(qeIdentity)),
            ("qe_identity_signature", jsonString(hex(qeIdentitySignature))),
        ]
        return "{\n" + fields.map { "  \"\($0.0)\": \($0.1)" }.joined(separator: ",\n") + "\n}\n"
    }

    static func tcbInfoJSON(_ platform: TDXPlatform, issued: Date, expires: Date, evaluation: Int) -> String {
        func components(_ svns: [UInt8]) -> String { "[" + svns.map { #"{"svn":\#($0)}"# }.joined(separator: ",") + "]" }
        func level(pceSVN: UInt16, status: String) -> String {
            #"{"tcb":{"sgxtcbcomponents":\#(components(platform.sgxTCBComponents)),"pcesvn":\#(pceSVN),"#
                + #""tdxtcbcomponents":\#(components(platform.teeTCBSVN))},"#
                + #""tcbDate":"2025-01-01T00:00:00Z","tcbStatus":"\#(status)"}"#
        }
        // An out-of-date platform matches only a level below one it does not reach (a newer PCE SVN).
        let levels =
            platform.tcbStatus == .upToDate
            ? [level(pceSVN: platform.pceSVN, status: "UpToDate")]
            : [level(pceSVN: platform.pceSVN &+ 1, status: "UpToDate"), level(pceSVN: platform.pceSVN, status: "OutOfDate")]
        let module =
            #""mrsigner":"\#(hex(platform.mrSignerSeam))","attributes":"\#(hex(platform.seamAttributes))","#
            + #""attributesMask":"FFFFFFFFFFFFFFFF""#
        let moduleIdentity =
            #"{"id":"TDX_\#(hex([platform.teeTCBSVN[1]]))",\#(module),"tcbLevels":[{"tcb":{"isvsvn":\#(platform.teeTCBSVN[0])},"#
            + #""tcbDate":"2025-01-01T00:00:00Z","tcbStatus":"UpToDate"}]}"#
        return #"{"id":"TDX","version":3,"issueDate":"\#(timestamp(issued))","nextUpdate":"\#(timestamp(expires))","#
            + #""fmspc":"\#(hex(platform.fmspc))","pceId":"\#(hex(platform.pceID))","tcbType":0,"tcbEvaluationDataNumber":\#(evaluation),"#
            + #""tdxModule":{\#(module)},"tdxModuleIdentities":[\#(moduleIdentity)],"#
            + #""tcbLevels":[\#(levels.joined(separator: ","))]}"#
    }

    /// SGX TCB info v3 of the platform: the SGX components and PCE SVN of its levels, no TDX part.
    static func sgxTCBInfoJSON(_ platform: TDXPlatform, issued: Date, expires: Date, evaluation: Int) -> String {
        let components = "[" + platform.sgxTCBComponents.map { #"{"svn":\#($0)}"# }.joined(separator: ",") + "]"
        func level(pceSVN: UInt16, status: String) -> String {
            #"{"tcb":{"sgxtcbcomponents":\#(components),"pcesvn":\#(pceSVN)},"#
                + #""tcbDate":"2025-01-01T00:00:00Z","tcbStatus":"\#(status)"}"#
        }
        let levels =
            platform.tcbStatus == .upToDate
            ? [level(pceSVN: platform.pceSVN, status: "UpToDate")]
            : [level(pceSVN: platform.pceSVN &+ 1, status: "UpToDate"), level(pceSVN: platform.pceSVN, status: "OutOfDate")]
        return #"{"id":"SGX","version":3,"issueDate":"\#(timestamp(issued))","nextUpdate":"\#(timestamp(expires))","#
            + #""fmspc":"\#(hex(platform.fmspc))","pceId":"\#(hex(platform.pceID))","tcbType":0,"tcbEvaluationDataNumber":\#(evaluation),"#
            + #""tcbLevels":[\#(levels.joined(separator: ","))]}"#
    }

    /// The masks Intel publishes in the TD QE identity. Intel publishes MISCSELECT and ATTRIBUTES
    /// already masked, and its appraisal requires `report & mask == identity` for each.
    static let qeMiscSelectMask: UInt32 = 0xFFFF_FFFF
    static let qeAttributesMask: [UInt8] = [0xFB, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF] + [UInt8](repeating: 0, count: 8)

    static func qeIdentityJSON(
        _ platform: TDXPlatform, issued: Date, expires: Date, evaluation: Int, id: String = "TD_QE", productID: UInt16? = nil
    ) -> String {
        let miscSelect = withUnsafeBytes(of: (platform.qeMiscSelect & qeMiscSelectMask).littleEndian, Array.init)
        let miscSelectMask = withUnsafeBytes(of: qeMiscSelectMask.littleEndian, Array.init)
        let attributes = zip(platform.qeAttributes, qeAttributesMask).map { $0 & $1 }
        return #"{"id":"\#(id)","version":2,"issueDate":"\#(timestamp(issued))","nextUpdate":"\#(timestamp(expires))","#
            + #""tcbEvaluationDataNumber":\#(evaluation),"miscselect":"\#(hex(miscSelect))","miscselectMask":"\#(hex(miscSelectMask))","#
            + #""attributes":"\#(hex(attributes))","attributesMask":"\#(hex(qeAttributesMask))","#
            + #""mrsigner":"\#(hex(platform.qeMRSigner))","isvprodid":\#(productID ?? platform.qeISVProdID),"#
            + #""tcbLevels":[{"tcb":{"isvsvn":\#(platform.qeISVSVN)},"tcbDate":"2025-01-01T00:00:00Z","tcbStatus":"UpToDate"}]}"#
    }

    static func timestamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }
}

/// Upper-case hexadecimal, as Intel's collateral writes it.
private func hex(_ bytes: [UInt8]) -> String { bytes.upperHexString }
