import ByteLayout

/// The 48-byte header of a DCAP quote (`sgx_quote4_header_t`, identical in v5 but for the version).
public struct QuoteHeader: Equatable, Sendable {
    public static let size = 48

    /// Field offsets from the start of the quote.
    public enum Offset {
        public static let version = 0x00
        public static let attestationKeyType = 0x02
        public static let teeType = 0x04
        public static let reserved = 0x08
        public static let qeVendorID = 0x0C
        public static let userData = 0x1C
    }

    /// The byte-string fields.
    public enum Fields {
        public static let qeVendorID = Field("qe_vendor_id", at: Offset.qeVendorID, width: 16)
        public static let userData = Field("user_data", at: Offset.userData, width: 20)
    }

    /// ECDSA-256-with-P-256, the only attestation key type verifiers accept.
    public static let attestationKeyECDSAP256: UInt16 = 2
    /// TEE type of a TD quote.
    public static let teeTypeTDX: UInt32 = 0x81
    /// Intel's QE vendor id; QVL and dcap-qvl reject any other.
    public static let intelQEVendorID: [UInt8] = [
        0x93, 0x9A, 0x72, 0x33, 0xF7, 0x9C, 0x4C, 0xA9,
        0x94, 0x0A, 0x0D, 0xB3, 0x95, 0x7F, 0x06, 0x07,
    ]

    public var version: UInt16
    public var attestationKeyType: UInt16 = QuoteHeader.attestationKeyECDSAP256
    public var teeType: UInt32 = QuoteHeader.teeTypeTDX
    public var qeVendorID: [UInt8] = QuoteHeader.intelQEVendorID
    /// Opaque to verifiers (20 bytes).
    public var userData: [UInt8] = QuoteHeader.zeroUserData

    /// One all-zero user data that new headers share rather than each allocating its own.
    private static let zeroUserData = [UInt8](repeating: 0, count: 20)

    public init(version: UInt16) {
        self.version = version
    }

    /// The 48 bytes; a byte-string field of the wrong width is an error naming it.
    public var bytes: [UInt8] {
        get throws(LayoutError) {
            var out = [UInt8](repeating: 0, count: Self.size)
            out.storeLittleEndian(version, at: Offset.version)
            out.storeLittleEndian(attestationKeyType, at: Offset.attestationKeyType)
            out.storeLittleEndian(teeType, at: Offset.teeType)
            try out.write(qeVendorID, to: Fields.qeVendorID)
            try out.write(userData, to: Fields.userData)
            return out
        }
    }

    public init(parsing bytes: [UInt8]) throws(QuoteFormatError) {
        guard bytes.count >= Self.size else { throw .truncated(at: bytes.count) }
        version = bytes.loadLittleEndian(UInt16.self, at: Offset.version)
        attestationKeyType = bytes.loadLittleEndian(UInt16.self, at: Offset.attestationKeyType)
        teeType = bytes.loadLittleEndian(UInt32.self, at: Offset.teeType)
        qeVendorID = bytes.read(Fields.qeVendorID)
        userData = bytes.read(Fields.userData)
    }
}
