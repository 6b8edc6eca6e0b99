import ByteLayout

/// What AMD's Key Distribution Service publishes for one simulated product line: the bytes
/// `tsmfs roots` writes, and the VCEK of the simulated chip at its reported TCB.
public struct AMDProductCertificates: Sendable {
    /// `Milan`, `Genoa`: the path component KDS uses.
    public var productLine: String
    /// PEM: ASK then ARK, and ASVK then ARK.
    public var vcekChain: String
    public var vlekChain: String
    /// DER CRLs signed by the ARK, for the VCEK and VLEK chains.
    public var vcekCRL: [UInt8]
    public var vlekCRL: [UInt8]
    /// The simulated chip's 64-byte CHIP_ID and its reported TCB SPLs (bootloader, TEE, SNP,
    /// microcode), and the DER VCEK KDS would issue for them.
    public var chipID: [UInt8]
    public var securityPatchLevels: (bootLoader: Int, tee: Int, snp: Int, microcode: Int)
    public var vcek: [UInt8]

    public init(
        productLine: String, vcekChain: String, vlekChain: String, vcekCRL: [UInt8], vlekCRL: [UInt8], chipID: [UInt8],
        securityPatchLevels: (bootLoader: Int, tee: Int, snp: Int, microcode: Int), vcek: [UInt8]
    ) {
        self.productLine = productLine
        self.vcekChain = vcekChain
        self.vlekChain = vlekChain
        self.vcekCRL = vcekCRL
        self.vlekCRL = vlekCRL
        self.chipID = chipID
        self.securityPatchLevels = securityPatchLevels
        self.vcek = vcek
    }
}

/// AMD's KDS (`/vcek/v1/…`, `/vlek/v1/…`) for the simulated product lines. A product line tsmfs
/// does not simulate (Turin among them), a hardware id that is not the simulated chip's, or
/// SPLs other than its reported TCB answer 404, as KDS answers for certificates it cannot issue.
public struct AMDKeyDistributionService: Sendable {
    public let lines: [AMDProductCertificates]

    public init(lines: [AMDProductCertificates]) { self.lines = lines }

    static let knownLines = ["Milan", "Genoa", "Bergamo", "Siena", "Turin"]

    func respond(_ request: ServiceRequest) -> ServiceResponse? {
        let parts = request.path.split(separator: "/").map(String.init)
        guard parts.count == 4, ["vcek", "vlek"].contains(parts[0]), parts[1] == "v1" else { return nil }
        let (key, lineName, resource) = (parts[0], parts[2], parts[3])
        guard Self.knownLines.contains(lineName) else { return .failure(404, "unknown product \(lineName)") }
        guard let line = lines.first(where: { $0.productLine == lineName }) else {
            return .failure(
                404,
                "no certificates for \(lineName): the simulated product lines are "
                    + lines.map(\.productLine).joined(separator: ", "))
        }
        switch (key, resource) {
        case ("vcek", "cert_chain"): return .content(Array(line.vcekChain.utf8), type: "application/x-pem-file")
        case ("vlek", "cert_chain"): return .content(Array(line.vlekChain.utf8), type: "application/x-pem-file")
        case ("vcek", "crl"): return .content(line.vcekCRL, type: "application/pkix-crl")
        case ("vlek", "crl"): return .content(line.vlekCRL, type: "application/pkix-crl")
        case ("vlek", _): return .failure(401, "VLEKs are issued to cloud providers with credentials")
        default: return vcek(hardwareID: resource, request, line)
        }
    }

    /// `/vcek/v1/{line}/{hwid}?blSPL=&teeSPL=&snpSPL=&ucodeSPL=`: SPLs are decimal, padded or not,
    /// and missing ones are 0.
    private func vcek(hardwareID: String, _ request: ServiceRequest, _ line: AMDProductCertificates) -> ServiceResponse {
        guard hardwareID.count == 128, hardwareID.allSatisfy(\.isHexDigit) else {
            return .failure(404, "the hardware id of \(line.productLine) is 64 bytes in hexadecimal")
        }
        var levels: [String: Int] = [:]
        for name in ["blSPL", "teeSPL", "snpSPL", "ucodeSPL"] {
            guard let text = request.query[name] else {
                levels[name] = 0
                continue
            }
            guard let value = Int(text), (0...255).contains(value) else { return .failure(400, "\(name) must be 0 to 255") }
            levels[name] = value
        }
        let chip = line.chipID.hexString
        let wanted = line.securityPatchLevels
        guard hardwareID.lowercased() == chip else { return .failure(404, "no VCEK for this hardware id") }
        guard
            levels["blSPL"] == wanted.bootLoader && levels["teeSPL"] == wanted.tee && levels["snpSPL"] == wanted.snp
                && levels["ucodeSPL"] == wanted.microcode
        else {
            return .failure(
                404,
                "no VCEK for this TCB: the simulated chip reports bl \(wanted.bootLoader) tee \(wanted.tee) snp \(wanted.snp) ucode \(wanted.microcode)"
            )
        }
        return .content(line.vcek, type: "application/pkix-cert")
    }
}
