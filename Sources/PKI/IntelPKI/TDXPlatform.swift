/// Everything about the simulated Intel platform that its PCK certificate and its collateral
/// state: the SGX TCB and PCE, the TDX module and the TD quoting enclave.
public struct TDXPlatform: Sendable, Equatable {
    /// The platform family, which selects the collateral (6 bytes).
    public var fmspc: [UInt8] = [0x90, 0xC0, 0x6F, 0x00, 0x00, 0x00]
    public var pceID: [UInt8] = [0x00, 0x00]
    public var pceSVN: UInt16 = 13
    /// The 16 SGX TCB component SVNs (the PCK's CPUSVN).
    public var sgxTCBComponents: [UInt8] = [3, 3, 2, 2, 2, 1, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0]
    /// 0 standard, 1 scalable.
    public var sgxType: Int = 1
    public var platformInstanceID: [UInt8] = Array(repeating: 0x5A, count: 16)

    /// TEE_TCB_SVN: byte 0 the TDX module's SVN, byte 1 its major version.
    public var teeTCBSVN: [UInt8] = [3, 1, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
    /// TEE_TCB_SVN2 (TDX 1.5 bodies).
    public var teeTCBSVN2: [UInt8] = [3, 1, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
    /// MRSEAM: the TDX module's measurement.
    public var mrSeam: [UInt8] = Array(repeating: 0x5E, count: 48)
    /// MRSIGNERSEAM: zero for Intel's modules.
    public var mrSignerSeam: [UInt8] = Array(repeating: 0, count: 48)
    /// SEAMATTRIBUTES: must be zero for Intel's verifiers.
    public var seamAttributes: [UInt8] = Array(repeating: 0, count: 8)

    /// The TD quoting enclave's identity.
    public var qeMRSigner: [UInt8] = [
        0xDC, 0x9E, 0x2A, 0x7C, 0x6F, 0x94, 0x8F, 0x17, 0x47, 0x4E, 0x34, 0xA7,
        0xFC, 0x43, 0xED, 0x03, 0x0F, 0x7C, 0x15, 0x63, 0xF1, 0xBA, 0xBD, 0xDF,
        0x63, 0x40, 0xC8, 0x2E, 0x0E, 0x54, 0xA8, 0xC5,
    ]
    public var qeMREnclave: [UInt8] = Array(repeating: 0x7E, count: 32)
    public var qeISVProdID: UInt16 = 2
    public var qeISVSVN: UInt16 = 4
    /// Production enclave attributes (INIT, MODE64BIT, no DEBUG).
    public var qeAttributes: [UInt8] = [0x15, 0, 0, 0, 0, 0, 0, 0, 0xE7, 0, 0, 0, 0, 0, 0, 0]
    public var qeMiscSelect: UInt32 = 0

    /// What the generated TCB info says of this platform.
    public enum TCBStatus: String, Sendable, CaseIterable {
        case upToDate = "UpToDate"
        case outOfDate = "OutOfDate"
    }

    public var tcbStatus = TCBStatus.upToDate
    /// Serial numbers (big-endian bytes) the collateral's CRLs list as revoked: the Platform CA's in
    /// the root CA CRL, every other (a PCK's) in the PCK CRL.
    public var revokedSerials: [[UInt8]] = []

    public init() {}
}
