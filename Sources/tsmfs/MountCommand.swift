import ArgumentParser
import Assembly
import CFuse3
import ConfigfsTSM
import FUSEAdapter
import Glibc
import GuestSurface
import Logging
import ProviderKit
import ServiceHTTP
import TDXProvider
import TSMConfig

struct MountCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mount",
        abstract: "Mount a configfs-tsm tree at MOUNTPOINT.",
        discussion: """
            MOUNTPOINT becomes a configfs root: it holds tsm/report/. Mount it at \
            /sys/kernel/config for clients that hard-code that path.

            Without --foreground, tsmfs returns once the mount is ready (exit 0) and keeps \
            serving in the background; on failure it prints one line saying why and exits 1. \
            SIGINT or SIGTERM to the daemon, or 'tsmfs unmount MOUNTPOINT', unmounts cleanly.

            Providers:
            \(ProviderChoice.allCases.map { "  \($0.rawValue.padding(6))\($0.help)" }.joined(separator: "\n"))

            With --devices DIR, the same daemon also serves the rest of the guest surface at \
            DIR, laid out as the kernel's paths: DIR/dev/tdx_guest or DIR/dev/sev-guest (the \
            vendor device, ioctl only), and for TDX DIR/sys/devices/virtual/misc/tdx_guest/ \
            measurements/ (the tsm-mr registers), the DIR/sys/class/misc/tdx_guest link and the \
            boot event log in DIR/sys/firmware/acpi/tables/ (CCEL, data/CCEL). \
            Bind each piece to its canonical path in a container (docs/deployment.md); tsmfs exec \
            does that by itself.

            Examples:
              tsmfs mount /run/tsmfs
              tsmfs mount --provider tdx --devices /run/tsmfs-devices /run/tsmfs
              tsmfs mount --provider echo -o allow_other /run/tsmfs
              tsmfs mount --config /etc/tsmfs.toml --foreground --verbose /run/tsmfs
            """
    )

    @OptionGroup var providerOptions: ProviderOptions

    @Flag(help: "Stay in the foreground and log to stderr instead of detaching.")
    var foreground = false

    @Option(
        name: .customShort("o"),
        help: ArgumentHelp(
            "FUSE mount options, comma-separated, passed to libfuse (e.g. allow_other). Repeatable.",
            valueName: "options"))
    var fuseOptions: [String] = []

    @Option(
        help: ArgumentHelp(
            "Report every file as owned by UID:GID instead of root (for rootless containers).",
            valueName: "uid:gid"))
    var owner: String?

    @Option(
        help: ArgumentHelp(
            "Also serve the provider's guest devices and sysfs measurement registers at this empty directory, created if missing (tdx, sev).",
            valueName: "dir"))
    var devices: String?

    @Option(
        help: ArgumentHelp(
            "Also answer as Intel's PCS/PCCS and AMD's KDS over HTTP at ADDR:PORT, beside the mount (repeatable; see tsmfs serve).",
            valueName: "addr:port"))
    var serve: [String] = []

    @Option(help: ArgumentHelp("The same over HTTPS (repeatable).", valueName: "addr:port"))
    var serveTls: [String] = []

    @Flag(name: .shortAndLong, help: "Log every FUSE request and its result.")
    var verbose = false

    @Option(help: ArgumentHelp("Append the daemon's log to this file (background mode).", valueName: "file"))
    var logFile: String?

    @Option(help: .hidden)
    var readyFD: Int32?

    /// Set by `tsmfs exec`: the daemon belongs to that process and must not outlive it, even if it is
    /// killed, or it would keep serving in a namespace nobody can reach.
    @Flag(help: .hidden)
    var exitWithParent = false

    @Argument(help: "An empty directory to mount on.")
    var mountpoint: String

    func validate() throws {
        if let owner, Self.parseOwner(owner) == nil {
            throw ValidationError("--owner must be UID:GID with numeric ids from 0 to 4294967294, e.g. --owner 1000:1000")
        }
        for address in serve + serveTls where ServiceServer.Listener(address, tls: false) == nil {
            throw ValidationError("--serve \(address): expected ADDR:PORT, e.g. 127.0.0.1:8080")
        }
    }

    static func parseOwner(_ text: String) -> Ownership? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        // (uid_t)-1 is no user: the kernel shows it as the overflow id and chown reads it as "unchanged".
        guard parts.count == 2, let uid = UInt32(parts[0]), let gid = UInt32(parts[1]),
            uid != UInt32.max, gid != UInt32.max
        else { return nil }
        return Ownership(uid: uid, gid: gid)
    }

    func run() throws {
        if let readyFD {
            Daemon.closeInheritedDescriptors(keeping: [readyFD] + (providerOptions.deterministicSeedFd.map { [$0] } ?? []))
        }
        if exitWithParent {
            let parent = getppid()
            _ = tsmfs_terminate_with_parent()
            // The parent may have died before the request was made.
            if getppid() != parent { throw ExitCode.failure }
        }
        do {
            try mount()
        } catch let exit as ExitCode {
            throw exit
        } catch {
            // A waiting parent prints the reason; only print it here when nobody waits.
            if let readyFD {
                Daemon.report("error: \(error)", on: readyFD)
                throw ExitCode.failure
            }
            throw exitWithMessage("\(error)")
        }
    }

    private func mount() throws {
        let mountpoint = absolutePath(mountpoint)
        // Checked as given: resolving first would follow a link someone planted at the path.
        if let devices {
            var info = stat()
            if lstat(devices, &info) == 0 && info.st_mode & S_IFMT == S_IFLNK {
                throw CLIError(
                    "--devices \(devices) is a symbolic link: name a directory itself, so the devices land where you see them")
            }
        }
        let devicesDirectory = devices.map(absolutePath)
        let resolved = try providerOptions.resolve(owner: owner.flatMap(Self.parseOwner))
        let provider = try resolved.assembly.makeProvider()
        // Built before anything is mounted, so a provider without devices fails cleanly.
        let surface = try devicesDirectory.map { _ in try resolved.assembly.guestSurface(of: provider) }

        try Preflight.checkFuseDevice()
        try Preflight.checkUnprivilegedHelper()
        if let devicesDirectory {
            guard devicesDirectory != mountpoint else {
                throw CLIError("--devices needs a directory of its own, not the mountpoint \(mountpoint)")
            }
            // Created on demand: unit files and fstab lines can then name one under /run.
            if mkdir(devicesDirectory, 0o755) != 0 && errno != EEXIST {
                throw CLIError("cannot create the devices directory \(devicesDirectory): \(systemError(errno))")
            }
            try Preflight.checkMountpoint(devicesDirectory) { path in try detachMount(path, lazy: true) }
        }
        let serveAll = { (filesystem: FUSEMount) throws in
            let services = try startServices(resolved)
            defer { services?.shutdown() }
            try serve(
                filesystem, devices: try surface.map { try mountSurface($0, at: devicesDirectory!, settings: resolved.settings) })
        }
        // A background copy runs while its starter waits, holding the lock where that is tsmfs mount.
        if readyFD != nil {
            try Preflight.checkMountpoint(mountpoint) { path in try detachMount(path, lazy: true) }
            return try serveAll(try mountFilesystem(at: mountpoint, provider: provider, settings: resolved.settings))
        }
        let mounted = try Preflight.withMountpointLock(mountpoint) { () throws -> FUSEMount? in
            try Preflight.checkMountpoint(mountpoint) { path in try detachMount(path, lazy: true) }
            guard foreground else {
                var arguments = [
                    "mount", "--foreground", "--ready-fd", String(Daemon.readyDescriptor),
                    "--provider", resolved.settings.provider.rawValue,
                    "--state-dir", resolved.settings.stateDirectory,
                ]
                if let configPath = resolved.configPath { arguments += ["--config", configPath] }
                if let owner { arguments += ["--owner", owner] }
                for options in fuseOptions { arguments += ["-o", options] }
                if verbose { arguments.append("--verbose") }
                if let devicesDirectory { arguments += ["--devices", devicesDirectory] }
                if let kernel = providerOptions.kernel { arguments += ["--kernel", kernel] }
                for address in serve { arguments += ["--serve", address] }
                for address in serveTls { arguments += ["--serve-tls", address] }
                arguments.append(mountpoint)
                try Daemon.start(arguments: arguments, logFile: logFile.map(absolutePath), seed: resolved.seed)
                return nil
            }
            return try mountFilesystem(at: mountpoint, provider: provider, settings: resolved.settings)
        }
        if let mounted { try serveAll(mounted) }
    }

    /// The vendor services of `--serve`/`--serve-tls`, on threads of their own; nil without them.
    private func startServices(_ resolved: ProviderOptions.Resolved) throws -> ServiceServer? {
        let listeners =
            serve.compactMap { ServiceServer.Listener($0, tls: false) }
            + serveTls.compactMap { ServiceServer.Listener($0, tls: true) }
        guard !listeners.isEmpty else { return nil }
        var logger = Logger(label: "tsmfs")
        logger.logLevel = verbose ? .trace : .info
        return try VendorServiceRunner.start(
            resolved.assembly, listeners: listeners, verbose: verbose, tlsCAOut: nil, logger: logger)
    }

    /// Mounts the guest surface (devices, sysfs registers); it serves on its own threads.
    private func mountSurface(_ tree: SurfaceTree, at directory: String, settings: MountSettings) throws -> FUSEMount {
        var logger = Logger(label: "tsmfs")
        logger.logLevel = verbose ? .trace : .info
        let files = SurfaceFiles(tree) { [logger] in logger.warning("\(SurfaceFiles.unseenCallerWarning)") }
        let surface = try FUSEMount(
            tree: files, options: MountOptions(fuseOptions: fuseOptions, timeouts: settings.timeouts), logger: logger)
        try surface.mount(at: directory)
        ProcessMemory.observeTimeouts { [logger] pid, address in
            logger.warning(
                "a caller's memory did not become readable in time: answered EFAULT",
                metadata: [
                    "pid": "\(pid)", "address": "0x\(String(address, radix: 16))",
                    "deadline": "\(ProcessMemory.deadline)", "likely": "an unresolved userfaultfd region",
                ])
        }
        surface.serveInBackground()
        // CUSE would make real character devices; these kernels lack it, so say what is served instead.
        let transport =
            access("/dev/cuse", F_OK) == 0
            ? "regular files with ioctl in a FUSE mount (CUSE devices are not implemented)"
            : "regular files with ioctl in a FUSE mount (no /dev/cuse on this kernel: CONFIG_CUSE is not set)"
        logger.info("serving guest devices", metadata: ["directory": "\(directory)", "as": "\(transport)"])
        return surface
    }

    /// Mounts the tree; when this returns, clients can use it.
    private func mountFilesystem(
        at mountpoint: String, provider: (any ReportProvider)?,
        settings: MountSettings
    ) throws -> FUSEMount {
        // A daemon must not keep the directory it was started from busy.
        if readyFD != nil { _ = chdir("/") }
        var logger = Logger(label: "tsmfs")
        logger.logLevel = verbose ? .trace : .info
        let diagnostics = Diagnostics { [logger] entry, error in
            logger.warning("report generation failed", metadata: ["entry": "\(entry)", "error": "\(error)"])
        }
        let tree = ReportTree(
            provider: provider, owner: settings.owner, limits: settings.limits, diagnostics: diagnostics,
            releaseWait: settings.releaseWait, kernel: settings.kernel)
        // tsmfs update-module reaches the simulated TDX module through a channel bound before the
        // mount exists and named by the mount's source, so no other process can stand in for it.
        let control = provider is TDXProvider ? try ControlChannel.listen() : nil
        let filesystem = try FUSEMount(
            tree: ConfigfsFiles(tree),
            options: MountOptions(
                fuseOptions: fuseOptions, timeouts: settings.timeouts, sourceName: control?.sourceName ?? "tsmfs"),
            logger: logger)
        try filesystem.mount(at: mountpoint)
        if let tdx = provider as? TDXProvider, let control {
            let stopping = filesystem.stoppingProbe
            ControlChannel.serve(control, handle: { UpdateModuleCommand.handle($0, provider: tdx, isStopping: stopping) })
        }
        logger.info("serving", metadata: ["mountpoint": "\(mountpoint)", "provider": "\(provider?.name ?? "none")"])
        return filesystem
    }

    /// Reports readiness to a waiting parent and serves until unmounted or signalled; the
    /// devices stop with the configfs mount.
    private func serve(_ filesystem: FUSEMount, devices: FUSEMount?) throws {
        if let readyFD { Daemon.report("ready", on: readyFD) }
        let status = filesystem.run()
        devices?.abandon()
        if status != 0 { throw ExitCode(status) }
    }
}

/// Prints `tsmfs: <message>` on stderr; throw the result to exit with status 1.
func exitWithMessage(_ message: String) -> ExitCode {
    var standardError = FileStream.standardError
    print("tsmfs: \(message)", to: &standardError)
    return ExitCode.failure
}

/// stderr as a `TextOutputStream`.
struct FileStream: TextOutputStream {
    let descriptor: Int32
    static var standardError: FileStream { FileStream(descriptor: 2) }
    mutating func write(_ string: String) {
        _ = string.withCString { Glibc.write(descriptor, $0, strlen($0)) }
    }
}

/// The settings of one mount: command-line options over the `[tsmfs]` section of the config file.
struct MountSettings {
    var provider: ProviderChoice
    var stateDirectory: String
    var owner: Ownership
    var limits: ResourceLimits
    var timeouts: MountOptions.Timeouts
    var releaseWait: Duration
    /// `deterministic_seed_file`: where the seed is kept, when the config names one.
    var seedFile: String?
    /// The Linux version whose guest ABI is served (`kernel`, `--kernel`).
    var kernel: KernelProfile

    static let defaultStateDirectory = "/var/lib/tsmfs"

    init(_ config: ConfigFile, provider: ProviderChoice?, stateDir: String?, owner: Ownership?, kernel: KernelProfile?) throws {
        let section = config.section("tsmfs")
        let configured = try section.parsed(
            "provider", expected: "one of " + ProviderChoice.allCases.map(\.rawValue).joined(separator: ", ")
        ) {
            ProviderChoice(rawValue: $0)
        }
        // Read every setting before combining: `??` would skip reading the config when an option
        // is given, and finish() would then call a valid setting unknown.
        let configuredStateDirectory = try section.string("state_dir")
        let configuredKernel = try section.parsed("kernel", expected: KernelProfile.expectation) { KernelProfile($0) }
        self.kernel = kernel ?? configuredKernel ?? .newest
        self.seedFile = try section.string("deterministic_seed_file")
        let configuredOwner = try section.parsed("owner", expected: "UID:GID, each from 0 to 4294967294") {
            MountCommand.parseOwner($0)
        }
        self.provider = provider ?? configured ?? .defaultChoice
        self.stateDirectory = stateDir ?? configuredStateDirectory ?? Self.defaultStateDirectory
        self.owner = owner ?? configuredOwner ?? .root
        var limits = ResourceLimits.defaults
        limits.maxEntries = try section.integer("max_entries", as: Int.self, in: 1...10_000_000) ?? limits.maxEntries
        limits.maxConcurrentGenerations =
            try section.integer("max_concurrent_generations", as: Int.self, in: 1...1024)
            ?? limits.maxConcurrentGenerations
        if let mebibytes = try section.integer("max_cached_mib", as: Int.self, in: 1...1_048_576) {
            limits.maxCachedBytes = mebibytes << 20
        }
        self.limits = limits
        // Every change reaches tsmfs through the kernel, so what the kernel caches stays true;
        // caching for a second saves a LOOKUP per path component on every open.
        let entryTimeout = try section.integer("entry_timeout_ms", as: Int.self, in: 0...3_600_000) ?? 1000
        let attributeTimeout = try section.integer("attr_timeout_ms", as: Int.self, in: 0...3_600_000) ?? 1000
        self.timeouts = MountOptions.Timeouts(entries: Double(entryTimeout) / 1000, attributes: Double(attributeTimeout) / 1000)
        // After a writer closes a copy of an inblob descriptor (a dup), how long the entry waits
        // for the RELEASE that would make that close the last one; see ReportTree.
        let releaseWait = try section.integer("release_wait_ms", as: Int64.self, in: 1...60_000)
        self.releaseWait = releaseWait.map { .milliseconds($0) } ?? ReportTree.defaultReleaseWait
        try section.finish()
    }
}
