import ByteLayout

/// Platform state a report depends on beyond its request, as one provider captures it (TDX: the
/// RTMRs and the module of a generation). Typed, so a provider reads back exactly what it captured.
public protocol PlatformSnapshot: Sendable {
    func isEqual(to other: any PlatformSnapshot) -> Bool
}

extension PlatformSnapshot where Self: Equatable {
    public func isEqual(to other: any PlatformSnapshot) -> Bool { (other as? Self) == self }
}

/// The per-entry input state a provider turns into evidence (`struct tsm_report_desc`).
public struct ReportRequest: Sendable, Equatable {
    /// Maximum inblob size (`TSM_REPORT_INBLOB_MAX`).
    public static let inblobMax = 64

    /// The committed inblob, 0…64 bytes. Providers decide which lengths they accept.
    public var inblob: [UInt8]
    /// The requested privilege level (`privlevel`), already range-checked against the floor.
    public var privlevel: UInt32
    /// `service_provider` as stored by the kernel: bytes up to the first NUL, one trailing
    /// newline stripped; `nil` when never written.
    public var serviceProvider: [UInt8]?
    /// `service_guid` in the kernel's `guid_t` byte order (the first three fields little-endian);
    /// all zero when never written or after a malformed write.
    public var serviceGUID: [UInt8]
    /// `service_manifest_version`.
    public var serviceManifestVersion: UInt32
    /// The entry's write generation at the time of the request (for diagnostics only).
    public var generation: UInt64
    /// The number the filesystem gives each report generation it starts, counting across entries.
    /// A report rebuilt after its cache was dropped is asked for with the same serial.
    public var serial: UInt64
    /// What ``ReportProvider/capturePlatformState()`` returned when this generation started; a
    /// rebuild carries the same snapshot. `nil` for requests built outside a filesystem.
    public var platformState: (any PlatformSnapshot)?
    /// What the provider asked to keep when it first generated this report
    /// (``GeneratedReport/rebuildMaterial``), handed back when the report is rebuilt; empty on a
    /// first generation.
    public var rebuildMaterial: [UInt8] = []

    /// A `service_guid` never written: one shared array, since every entry starts with it.
    public static let zeroGUID = [UInt8](repeating: 0, count: 16)

    public init(
        inblob: [UInt8] = [],
        privlevel: UInt32 = 0,
        serviceProvider: [UInt8]? = nil,
        serviceGUID: [UInt8] = ReportRequest.zeroGUID,
        serviceManifestVersion: UInt32 = 0,
        generation: UInt64 = 0,
        serial: UInt64 = 0
    ) {
        self.inblob = inblob
        self.privlevel = privlevel
        self.serviceProvider = serviceProvider
        self.serviceGUID = serviceGUID
        self.serviceManifestVersion = serviceManifestVersion
        self.generation = generation
        self.serial = serial
    }

    public static func == (lhs: ReportRequest, rhs: ReportRequest) -> Bool {
        let sameState =
            switch (lhs.platformState, rhs.platformState) {
            case (nil, nil): true
            case (let left?, let right?): left.isEqual(to: right)
            default: false
            }
        return sameState && lhs.inblob == rhs.inblob && lhs.privlevel == rhs.privlevel
            && lhs.serviceProvider == rhs.serviceProvider && lhs.serviceGUID == rhs.serviceGUID
            && lhs.serviceManifestVersion == rhs.serviceManifestVersion && lhs.generation == rhs.generation
            && lhs.serial == rhs.serial && lhs.rebuildMaterial == rhs.rebuildMaterial
    }

    /// `service_provider` as text, if it was written and is valid UTF-8.
    public var serviceProviderName: String? {
        serviceProvider.flatMap { String(validating: $0, as: UTF8.self) }
    }
}

/// The blobs one provider generation produces. Empty auxblob/manifestblob read as empty files.
public struct GeneratedReport: Sendable, Equatable {
    public var outblobSegments: Blob
    public var auxblobSegments: Blob
    public var manifestblobSegments: Blob
    /// A few bytes that let the provider rebuild these blobs exactly from the same request after
    /// the cache dropped them — a signature made with a random nonce, which signing again would not
    /// reproduce. The filesystem keeps them with the request (tens of bytes instead of the report).
    public var rebuildMaterial: [UInt8] = []

    public init(outblob: Blob, auxblob: Blob = .empty, manifestblob: Blob = .empty) {
        self.outblobSegments = outblob
        self.auxblobSegments = auxblob
        self.manifestblobSegments = manifestblob
    }

    public init(outblob: [UInt8], auxblob: [UInt8] = [], manifestblob: [UInt8] = []) {
        self.init(outblob: Blob(outblob), auxblob: Blob(auxblob), manifestblob: Blob(manifestblob))
    }

    public var outblob: [UInt8] { outblobSegments.bytes }
    public var auxblob: [UInt8] { auxblobSegments.bytes }
    public var manifestblob: [UInt8] { manifestblobSegments.bytes }

    /// The bytes the three blobs occupy (shared segments counted in full: an upper bound).
    public var byteCount: Int { outblobSegments.count + auxblobSegments.count + manifestblobSegments.count }

    /// The blob a report attribute reads.
    public func blob(for attribute: ReportAttribute) -> Blob {
        switch attribute {
        case .auxblob: auxblobSegments
        case .manifestblob: manifestblobSegments
        default: outblobSegments
        }
    }
}
