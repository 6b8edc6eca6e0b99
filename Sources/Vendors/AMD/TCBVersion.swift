/// AMD's TCB_VERSION: the security patch levels of a SEV-SNP platform, as a report carries them
/// (8 bytes, Milan/Genoa encoding: byte 0 boot loader, 1 TEE, 2–5 reserved, 6 SNP firmware, 7
/// microcode) and as a VCEK or VLEK certifies them (one KDS extension per level). One value, both
/// places: evidence and PKI import it from here.
public struct TCBVersion: Equatable, Sendable {
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

    /// The 8 bytes of a report's TCB_VERSION field.
    public var bytes: [UInt8] { [bootLoader, tee, 0, 0, 0, 0, snp, microcode] }

    /// Reads the 8 bytes of a TCB_VERSION field (the reserved bytes are the parser's to check).
    public init(bytes: ArraySlice<UInt8>) {
        let b = Array(bytes)
        self.init(bootLoader: b[0], tee: b[1], snp: b[6], microcode: b[7])
    }

    /// The eight SPL extension values of a VCEK/VLEK in OID order (1.3.6.1.4.1.3704.1.3.1 … .8:
    /// blSPL, teeSPL, snpSPL, spl_4…spl_7 reserved and zero, ucodeSPL).
    public var securityPatchLevelExtensions: [UInt8] { [bootLoader, tee, snp, 0, 0, 0, 0, microcode] }
}
