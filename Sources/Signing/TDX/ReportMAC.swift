import ByteLayout
import Crypto
import TDXQuote

/// What makes a TDREPORT whole: REPORTMACSTRUCT's two hashes bind it to TEE_TCB_INFO and TDINFO,
/// and a MAC under a platform-local key covers REPORTMACSTRUCT. Real hardware's MAC key never
/// leaves the CPU and nothing off the machine can check the MAC; here it is HMAC-SHA-256 under
/// a key of the simulated platform, so a report can at least be checked by the daemon that made it.
public struct ReportMAC: Sendable {
    /// Raw bytes: swift-crypto's SymmetricKey is not Sendable.
    private let keyBytes: [UInt8]
    private var key: SymmetricKey { SymmetricKey(data: keyBytes) }

    public init(key: [UInt8]) { self.keyBytes = key }

    /// Fills in `report`'s TEE_TCB_INFO hash, TDINFO hash and MAC; returns its 1024 bytes.
    public func seal(_ report: inout TDReport) throws(LayoutError) -> [UInt8] {
        var bytes = try report.bytes
        report.teeTCBInfoHash = Array(SHA384.hash(data: bytes.read(TDReport.Fields.teeTCBInfo)))
        report.teeInfoHash = Array(SHA384.hash(data: bytes.read(TDReport.Fields.tdInfo)))
        try bytes.write(report.teeTCBInfoHash, to: TDReport.Fields.teeTCBInfoHash)
        try bytes.write(report.teeInfoHash, to: TDReport.Fields.teeInfoHash)
        report.mac = Array(HMAC<SHA256>.authenticationCode(for: bytes.read(TDReport.Fields.macCoverage), using: key))
        try bytes.write(report.mac, to: TDReport.Fields.mac)
        return bytes
    }

    /// Whether `bytes` is a TDREPORT this key sealed, with hashes matching its contents.
    public func isValid(_ bytes: [UInt8]) -> Bool {
        guard bytes.count == TDReport.size else { return false }
        let hashesMatch =
            Array(SHA384.hash(data: bytes.read(TDReport.Fields.teeTCBInfo))) == bytes.read(TDReport.Fields.teeTCBInfoHash)
            && Array(SHA384.hash(data: bytes.read(TDReport.Fields.tdInfo))) == bytes.read(TDReport.Fields.teeInfoHash)
        return hashesMatch
            && HMAC<SHA256>.isValidAuthenticationCode(
                bytes.read(TDReport.Fields.mac), authenticating: bytes.read(TDReport.Fields.macCoverage), using: key)
    }
}
