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
    public var rootCACRL: [UInt8]
    public var pckCRL: [UInt8]
    /// TCB signing certificate, then root (PEM).
    public var tcbInfoIssuerChain: String
    /// Platform CA, then root (PEM).
    public var pckCRLIssuerChain: String

    /// How long the collateral stays valid.
    public static let validity: TimeInterval = 30 * 24 * 3600

    /// - Parameter revoked: the serials the CRLs list; the platform's `revokedSerials` unless given.
    public init(pki: SimulatedIntelPKI, now: Date = Date(), revoked: [[UInt8]]? = nil) throws {
        let platform = pki.platform
        let issued = now.addingTimeInterval(-3600)
        let expires = now.addingTimeInterval(Self.validity)
        tcbInfo = Self.tcbInfoJSON(platform, issued: issued, expires: expires)
        qeIdentity = Self.qeIdentityJSON(platform, issued: issued, expires: expires)
        tcbInfoSignature = Array(try pki.tcbSigning.key.signature(for: Array(tcbInfo.utf8)).rawRepresentation)
        qeIdentitySignature = Array(try pki.tcbSigning.key.signature(for: Array(qeIdentity.utf8)).rawRepresentation)
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

    /// PCS's response body for TCB info: `{"tcbInfo":…,"signature":"<hex r‖s>"}`.
    public var tcbInfoResponse: String { #"{"tcbInfo":\#(tcbInfo),"signature":"\#(hex(tcbInfoSignature))"}"# }

    /// PCS's response body for the QE identity.
    public var qeIdentityResponse: String {
        #"{"enclaveIdentity":\#(qeIdentity),"signature":"\#(hex(qeIdentitySignature))"}"#
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

    static func tcbInfoJSON(_ platform: TDXPlatform, issued: Date, expires: Date) -> String {
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
            + #""fmspc":"\#(hex(platform.fmspc))","pceId":"\#(hex(platform.pceID))","tcbType":0,"tcbEvaluationDataNumber":17,"#
            + #""tdxModule":{\#(module)},"tdxModuleIdentities":[\#(moduleIdentity)],"#
            + #""tcbLevels":[\#(levels.joined(separator: ","))]}"#
    }

    /// The masks Intel publishes in the TD QE identity. Intel publishes MISCSELECT and ATTRIBUTES
    /// already masked, and its appraisal requires `report & mask == identity` for each.
    static let qeMiscSelectMask: UInt32 = 0xFFFF_FFFF
    static let qeAttributesMask: [UInt8] = [0xFB, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF] + [UInt8](repeating: 0, count: 8)

    static func qeIdentityJSON(_ platform: TDXPlatform, issued: Date, expires: Date) -> String {
        let miscSelect = withUnsafeBytes(of: (platform.qeMiscSelect & qeMiscSelectMask).littleEndian, Array.init)
        let miscSelectMask = withUnsafeBytes(of: qeMiscSelectMask.littleEndian, Array.init)
        let attributes = zip(platform.qeAttributes, qeAttributesMask).map { $0 & $1 }
        return #"{"id":"TD_QE","version":2,"issueDate":"\#(timestamp(issued))","nextUpdate":"\#(timestamp(expires))","#
            + #""tcbEvaluationDataNumber":17,"miscselect":"\#(hex(miscSelect))","miscselectMask":"\#(hex(miscSelectMask))","#
            + #""attributes":"\#(hex(attributes))","attributesMask":"\#(hex(qeAttributesMask))","#
            + #""mrsigner":"\#(hex(platform.qeMRSigner))","isvprodid":\#(platform.qeISVProdID),"#
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
