import TDXQuote

/// The simulated TD's measurements and attributes: what TDG.MR.REPORT would report.
public struct TDIdentity: Sendable, Equatable {
    /// TD attributes, little-endian: SEPT_VE_DISABLE (bit 28) set, DEBUG (bit 0) clear, as
    /// verifiers require of production TDs.
    public var tdAttributes: [UInt8] = [0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00]
    /// XFAM 0x61AE7: x87, SSE, AVX, AVX-512, PKRU, AMX state.
    public var xfam: [UInt8] = [0xE7, 0x1A, 0x06, 0x00, 0x00, 0x00, 0x00, 0x00]
    public var mrTD: [UInt8] = Array(repeating: 0x11, count: 48)
    public var mrConfigID: [UInt8] = Array(repeating: 0, count: 48)
    public var mrOwner: [UInt8] = Array(repeating: 0, count: 48)
    public var mrOwnerConfig: [UInt8] = Array(repeating: 0, count: 48)
    public var rtmrs: [[UInt8]] = Array(repeating: Array(repeating: 0, count: 48), count: 4)
    /// MRSERVICETD (TDX 1.5 bodies); zero unless the TD is bound to a service TD.
    public var mrServiceTD: [UInt8] = Array(repeating: 0, count: 48)

    public init() {}
}
