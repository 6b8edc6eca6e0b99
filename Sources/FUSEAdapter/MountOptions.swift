/// How the filesystem is presented to the kernel.
public struct MountOptions: Sendable {
    /// Kernel caching of lookups and attributes, in seconds.
    public struct Timeouts: Sendable {
        public var entries: Double
        public var attributes: Double

        public init(entries: Double, attributes: Double) {
            self.entries = entries
            self.attributes = attributes
        }

        /// configfs re-instantiates attribute inodes on every lookup: nothing cached.
        public static let configfs = Timeouts(entries: 0, attributes: 0)
        /// The default: one second. Every change passes through the kernel, so its cache stays
        /// coherent, and opens skip a LOOKUP per path component.
        public static let standard = Timeouts(entries: 1, attributes: 1)
    }

    /// Options always passed to libfuse. `default_permissions` lets the kernel apply the
    /// files' modes to other users; the root-only refusals configfs adds are made in `open`.
    public var fixedOptions: [String] { ["default_permissions", "fsname=\(sourceName)", "subtype=tsmfs"] }

    /// The mount's source as /proc/self/mounts shows it (libfuse's fsname): "tsmfs", or a name
    /// that identifies this mount's daemon (see the control channel of `tsmfs update-module`).
    /// Commas and backslashes would end or escape the option, so callers pass plain names.
    public var sourceName = "tsmfs"

    /// Extra `-o` options from the user (`allow_other`, …), passed through to libfuse.
    public var fuseOptions: [String]
    public var timeouts: Timeouts
    /// Upper bound on libfuse worker threads.
    public var maxThreads: Int

    public init(fuseOptions: [String] = [], timeouts: Timeouts = .standard, maxThreads: Int = 16, sourceName: String = "tsmfs") {
        self.fuseOptions = fuseOptions
        self.sourceName = sourceName
        self.timeouts = timeouts
        self.maxThreads = maxThreads
    }
}
