import ByteLayout
import ProviderKit

/// The echo provider's evidence. All integers little-endian.
///
/// outblob (`TSMECHO1`), 128 bytes plus the service provider name:
///
/// | Offset | Size | Field |
/// |---|---|---|
/// | 0x00 | 8 | magic `TSMECHO1` |
/// | 0x08 | 4 | format version, 1 |
/// | 0x0C | 4 | privlevel |
/// | 0x10 | 8 | the entry's write generation the report was made for |
/// | 0x18 | 8 | serial: the filesystem's number for this generation (`ReportRequest.serial`), 1 for its first |
/// | 0x20 | 4 | inblob length |
/// | 0x24 | 4 | service_manifest_version |
/// | 0x28 | 16 | service_guid (guid_t byte order) |
/// | 0x38 | 4 | service_provider length, 0xFFFFFFFF when never written |
/// | 0x3C | 4 | reserved, 0 |
/// | 0x40 | 64 | inblob, zero-padded |
/// | 0x80 | n | service_provider bytes |
///
/// auxblob (`TSMEAUX1`, 16 bytes) and manifestblob (`TSMEMAN1`, 16 bytes) carry the magic
/// and the same serial, so a client can tell that one generation filled all three.
public struct EchoReport: Equatable, Sendable {
    public static let magic = Array("TSMECHO1".utf8)
    public static let auxMagic = Array("TSMEAUX1".utf8)
    public static let manifestMagic = Array("TSMEMAN1".utf8)
    public static let formatVersion: UInt32 = 1

    /// Field offsets in the outblob.
    public enum Offset {
        public static let magic = 0x00
        public static let formatVersion = 0x08
        public static let privlevel = 0x0C
        public static let generation = 0x10
        public static let serial = 0x18
        public static let inblobLength = 0x20
        public static let serviceManifestVersion = 0x24
        public static let serviceGUID = 0x28
        public static let serviceProviderLength = 0x38
        public static let inblob = 0x40
        public static let serviceProvider = 0x80
    }

    public var request: ReportRequest
    public var serial: UInt64

    public init(request: ReportRequest, serial: UInt64) {
        self.request = request
        self.serial = serial
    }

    /// The three blobs of this report.
    public var blobs: GeneratedReport {
        var out = [UInt8](repeating: 0, count: Offset.serviceProvider)
        out.replaceSubrange(Offset.magic..<Offset.magic + 8, with: Self.magic)
        out.storeLittleEndian(Self.formatVersion, at: Offset.formatVersion)
        out.storeLittleEndian(request.privlevel, at: Offset.privlevel)
        out.storeLittleEndian(request.generation, at: Offset.generation)
        out.storeLittleEndian(serial, at: Offset.serial)
        out.storeLittleEndian(UInt32(request.inblob.count), at: Offset.inblobLength)
        out.storeLittleEndian(request.serviceManifestVersion, at: Offset.serviceManifestVersion)
        out.replaceSubrange(Offset.serviceGUID..<Offset.serviceGUID + 16, with: request.serviceGUID)
        out.storeLittleEndian(
            request.serviceProvider.map { UInt32($0.count) } ?? UInt32.max,
            at: Offset.serviceProviderLength)
        out.replaceSubrange(Offset.inblob..<Offset.inblob + request.inblob.count, with: request.inblob)
        out += request.serviceProvider ?? []

        var aux = Self.auxMagic
        aux.appendLittleEndian(serial)
        var manifest = Self.manifestMagic
        manifest.appendLittleEndian(serial)
        return GeneratedReport(outblob: out, auxblob: aux, manifestblob: manifest)
    }

    /// Parses an outblob back; `nil` if it is not an echo report.
    public init?(outblob: [UInt8]) {
        guard outblob.count >= Offset.serviceProvider,
            Array(outblob[0..<8]) == Self.magic,
            outblob.loadLittleEndian(UInt32.self, at: Offset.formatVersion) == Self.formatVersion
        else { return nil }
        let inblobLength = Int(outblob.loadLittleEndian(UInt32.self, at: Offset.inblobLength))
        guard inblobLength <= ReportRequest.inblobMax else { return nil }
        let providerLength = outblob.loadLittleEndian(UInt32.self, at: Offset.serviceProviderLength)
        let serviceProvider: [UInt8]?
        if providerLength == UInt32.max {
            guard outblob.count == Offset.serviceProvider else { return nil }
            serviceProvider = nil
        } else {
            guard outblob.count == Offset.serviceProvider + Int(providerLength) else { return nil }
            serviceProvider = Array(outblob[Offset.serviceProvider...])
        }
        request = ReportRequest(
            inblob: Array(outblob[Offset.inblob..<Offset.inblob + inblobLength]),
            privlevel: outblob.loadLittleEndian(UInt32.self, at: Offset.privlevel),
            serviceProvider: serviceProvider,
            serviceGUID: Array(outblob[Offset.serviceGUID..<Offset.serviceGUID + 16]),
            serviceManifestVersion: outblob.loadLittleEndian(UInt32.self, at: Offset.serviceManifestVersion),
            generation: outblob.loadLittleEndian(UInt64.self, at: Offset.generation))
        serial = outblob.loadLittleEndian(UInt64.self, at: Offset.serial)
    }
}
