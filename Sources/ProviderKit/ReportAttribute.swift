import ByteLayout

/// The files of a configfs-tsm report entry (`/sys/kernel/config/tsm/report/<name>/…`).
///
/// Raw values follow the kernel's creation order: the text attributes in
/// `enum tsm_attr_index` order, then the binary attributes in `enum tsm_bin_attr_index`
/// order. configfs lists children in reverse creation order, so a directory listing is
/// the visible attributes sorted by descending raw value.
public enum ReportAttribute: Int, CaseIterable, Sendable, Hashable {
    case generation = 0
    case provider
    case privlevel
    case privlevelFloor
    case serviceProvider
    case serviceGUID
    case serviceManifestVersion
    case inblob
    case outblob
    case auxblob
    case manifestblob

    /// The file name inside the report entry directory.
    public var fileName: String {
        switch self {
        case .generation: "generation"
        case .provider: "provider"
        case .privlevel: "privlevel"
        case .privlevelFloor: "privlevel_floor"
        case .serviceProvider: "service_provider"
        case .serviceGUID: "service_guid"
        case .serviceManifestVersion: "service_manifest_version"
        case .inblob: "inblob"
        case .outblob: "outblob"
        case .auxblob: "auxblob"
        case .manifestblob: "manifestblob"
        }
    }

    /// Binary attributes (`CONFIGFS_BIN_ATTR_*`) versus text attributes (`CONFIGFS_ATTR_*`).
    public var isBinary: Bool { rawValue >= ReportAttribute.inblob.rawValue }

    /// The output blobs, each filled by one provider generation.
    public var isReportBlob: Bool { self == .outblob || self == .auxblob || self == .manifestblob }
}
