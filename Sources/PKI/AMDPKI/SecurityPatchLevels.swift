/// The security patch levels a VCEK or VLEK certifies, one KDS extension each (blSPL, teeSPL,
/// snpSPL, ucodeSPL; spl_4…spl_7 are reserved and zero). They must equal the report's REPORTED_TCB.
public struct SecurityPatchLevels: Equatable, Sendable {
    public var bootLoader: UInt8
    public var tee: UInt8
    public var snp: UInt8
    public var microcode: UInt8

    public init(bootLoader: UInt8, tee: UInt8, snp: UInt8, microcode: UInt8) {
        self.bootLoader = bootLoader
        self.tee = tee
        self.snp = snp
        self.microcode = microcode
    }

    /// The eight SPL extension values in OID order (1.3.6.1.4.1.3704.1.3.1 … .8).
    var extensionValues: [UInt8] { [bootLoader, tee, snp, 0, 0, 0, 0, microcode] }
}
