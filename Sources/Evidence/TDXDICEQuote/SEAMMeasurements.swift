/// What the SEAM submodule says of one TDX module: its attributes, measurement and signer.
public struct SEAMMeasurements: Equatable, Sendable {
    /// SEAMATTRIBUTES, 8 bytes as the quote body holds them.
    public var attributes: [UInt8]
    public var mrSeam: [UInt8]
    public var mrSignerSeam: [UInt8]

    public init(attributes: [UInt8], mrSeam: [UInt8], mrSignerSeam: [UInt8]) {
        self.attributes = attributes
        self.mrSeam = mrSeam
        self.mrSignerSeam = mrSignerSeam
    }
}
