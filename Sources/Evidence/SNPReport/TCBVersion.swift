/// A TCB_VERSION in the Milan/Genoa encoding: byte 0 boot loader, 1 TEE, 2–5 reserved
/// (spl_4..spl_7), 6 SNP firmware, 7 microcode.
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

    public var bytes: [UInt8] { [bootLoader, tee, 0, 0, 0, 0, snp, microcode] }

    public init(bytes: ArraySlice<UInt8>) {
        let b = Array(bytes)
        self.init(bootLoader: b[0], tee: b[1], snp: b[6], microcode: b[7])
    }
}
