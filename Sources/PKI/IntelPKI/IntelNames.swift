import X509

/// The names verifiers insist on. QVL compares the root's subject byte for byte with Intel's
/// and go-tdx-guest the common names, so these copy Intel's strings exactly; the keys are
/// tsmfs's own, so nothing here chains to Intel.
public enum IntelNames {
    public static let rootCommonName = "Intel SGX Root CA"
    public static let platformCACommonName = "Intel SGX PCK Platform CA"
    public static let pckCommonName = "Intel SGX PCK Certificate"
    public static let tcbSigningCommonName = "Intel SGX TCB Signing"

    /// `CN=<name>, O=Intel Corporation, L=Santa Clara, ST=CA, C=US`.
    public static func distinguishedName(_ commonName: String) throws -> DistinguishedName {
        try DistinguishedName {
            CommonName(commonName)
            OrganizationName("Intel Corporation")
            LocalityName("Santa Clara")
            StateOrProvinceName("CA")
            CountryName("US")
        }
    }

    /// Where the CRLs are published: Intel's URLs, which `tsmfs serve` answers (and `tsmfs exec
    /// --services` resolves to it), so verifiers that follow distribution points work unchanged.
    public static let rootCRLURL = "https://certificates.trustedservices.intel.com/IntelSGXRootCA.der"
    public static let pckCRLURL = "https://api.trustedservices.intel.com/sgx/certification/v4/pckcrl?ca=platform&encoding=der"
}
