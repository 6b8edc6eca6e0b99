/// Every number and name of the DICE quote's layout, in one place. The format is that of the TDX
/// module's quoting extension (Intel document 874303) as google/go-tdx-guest parses it
/// (abi/dice.go): a CBOR Web Token around a COSE_Sign1 signed ES384, whose payload carries the
/// TD's measurements as EAT claims with CoRIM concise evidence per submodule. docs/evidence/
/// tdx-dice-quote.md walks through it level by level and says what is still unknown.
public enum DICEQuoteLabels {
    /// CBOR tags.
    public enum Tag {
        /// CBOR Web Token (RFC 8392).
        public static let cwt: UInt64 = 61
        /// COSE_Sign1 (RFC 9052).
        public static let coseSign1: UInt64 = 18
        /// Concise evidence, wrapping the bstr-encoded map (TCG CoRIM / Intel's profile).
        public static let conciseEvidence: UInt64 = 571
        /// An OID as the bytes of its DER content (RFC 9090), used for class ids.
        public static let oid: UInt64 = 111
    }

    /// COSE header labels (RFC 9052, RFC 9360).
    public enum Header {
        public static let algorithm: Int64 = 1
        public static let contentType: Int64 = 3
        public static let keyID: Int64 = 4
        /// An unordered bag of DER certificates.
        public static let x5bag: Int64 = 32
        /// An ordered chain of DER certificates, end entity first.
        public static let x5chain: Int64 = 33
    }

    /// ECDSA P-384 with SHA-384 (RFC 9053).
    public static let algorithmES384: Int64 = -35
    /// r ‖ s, 48 bytes each, big-endian.
    public static let signatureLength = 96
    /// The first bytes of a quote: tag 61 (`d8 3d`), or a bare tag 18 with its 4-element array (`d2 84`).
    public static let cwtPrefix: [UInt8] = [0xD8, 0x3D]
    public static let coseSign1Prefix: [UInt8] = [0xD2, 0x84]

    /// CWT / EAT claim keys.
    public enum Claim {
        public static let issuer: Int64 = 1
        public static let subject: Int64 = 2
        public static let eatProfile: Int64 = 265
        public static let reportData: Int64 = -212
        public static let submodules: Int64 = -11
    }

    /// Intel's CoRIM profile for TDX, 2.16.840.1.113741.1.16.1, as the DER content octets of the OID.
    public static let intelProfileOID: [UInt8] = [0x60, 0x86, 0x48, 0x01, 0x86, 0xF8, 0x4D, 0x01, 0x10, 0x01]

    /// The submodules (-11) of a quote, keyed by OID text. The specification's keys end in `.0`;
    /// the integration sample go-tdx-guest still accepts ends them in `.1`.
    public enum Submodule: String, CaseIterable, Sendable {
        case platformTCB = "2.16.840.1.113741.1.13.2.1"
        case seam = "2.16.840.1.113741.1.13.2.8"
        case tdQuoteBody = "2.16.840.1.113741.1.13.2.4"
        case serviceTD = "2.16.840.1.113741.1.13.2.7"

        /// The key a specification-form quote uses.
        public var key: String { rawValue + ".0" }
        /// The key of the integration sample.
        public var integrationKey: String { rawValue + ".1" }

        /// The OID's DER content octets, for the submodule's class id.
        public var oidContent: [UInt8] {
            let arcs = rawValue.split(separator: ".").compactMap { UInt64($0) }
            var out: [UInt8] = [UInt8(arcs[0] * 40 + arcs[1])]
            for arc in arcs.dropFirst(2) {
                var groups: [UInt8] = [UInt8(arc & 0x7F)]
                var rest = arc >> 7
                while rest > 0 {
                    groups.insert(UInt8(rest & 0x7F) | 0x80, at: 0)
                    rest >>= 7
                }
                out += groups
            }
            return out
        }

        /// What the class map of its concise evidence calls it.
        public var model: String {
            switch self {
            case .platformTCB: "TDX Platform TCB"
            case .seam: "TDX Module"
            case .tdQuoteBody: "TD"
            case .serviceTD: "Service TD"
            }
        }
    }

    /// The state keys of a submodule: what it was at the TD's launch, and what runs now.
    public static let originState = "0"
    public static let currentState = "1"

    /// Keys of a measurement-values map (Intel's CoRIM profile, and 874303 for -201…-210).
    public enum Measurement {
        /// seam_attributes in SEAM, td_attributes in the TD.
        public static let attributes: Int64 = -82
        /// mr_seam in SEAM, mr_td in the TD.
        public static let primaryDigest: Int64 = -83
        public static let mrSignerSeam: Int64 = -84
        /// 16 SVNs as an array of uints.
        public static let teeTCBSVN: Int64 = -125
        /// tee_tcb_svn2 in the integration sample's single Platform TCB map.
        public static let integrationTeeTCBSVN2: Int64 = -153
        public static let xfam: Int64 = -201
        public static let mrConfigID: Int64 = -203
        public static let mrOwner: Int64 = -204
        public static let mrOwnerConfig: Int64 = -205
        /// RTMR0; RTMR*i* is `rtmr0 - i`.
        public static let rtmr0: Int64 = -206
        public static let mrServiceTD: Int64 = -210
    }

    /// The hash algorithm id a CoRIM digest names (Named Information registry: sha-384).
    public static let digestAlgorithmSHA384: UInt64 = 7
    /// The vendor the class maps name.
    public static let vendor = "Intel Corporation"
}
