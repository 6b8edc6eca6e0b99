import X509

/// An AMD EPYC product line as the KDS names it, and what its reports and certificates say.
public enum AMDProductLine: String, CaseIterable, Sendable {
    case milan = "Milan"
    case genoa = "Genoa"

    /// ARK subject: `ARK-Milan`.
    public var arkCommonName: String { "ARK-\(rawValue)" }
    /// ASK subject and VCEK issuer: `SEV-Milan`.
    public var askCommonName: String { "SEV-\(rawValue)" }
    /// The VCEK's productName extension: line and stepping.
    public var productName: String { self == .milan ? "Milan-B1" : "Genoa-B1" }
    /// CPUID family, model and stepping in v3+ reports (verifiers derive the line from them).
    public var cpuid: (family: UInt8, model: UInt8, stepping: UInt8) {
        self == .milan ? (0x19, 0x01, 0x01) : (0x19, 0x11, 0x01)
    }
    /// Where AMD publishes the line's CRL (kept, as verifiers compare it when they check metadata).
    public var crlURL: String { "https://kdsintf.amd.com/vcek/v1/\(rawValue)/crl" }

    /// AMD's names in AMD's RDN order: OU, C, L, ST, O, CN.
    public static func distinguishedName(_ commonName: String) throws -> DistinguishedName {
        try DistinguishedName {
            OrganizationalUnitName("Engineering")
            CountryName("US")
            LocalityName("Santa Clara")
            StateOrProvinceName("CA")
            OrganizationName("Advanced Micro Devices")
            CommonName(commonName)
        }
    }
}
