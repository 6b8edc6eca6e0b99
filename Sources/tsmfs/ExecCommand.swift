import ArgumentParser
import Assembly
import Glibc

/// `tsmfs exec`: run one command with tsmfs at the canonical path, without touching the host.
struct ExecCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exec",
        abstract: "Run a command with the whole simulated guest surface in a private mount namespace.",
        discussion: """
            For clients that hard-code /sys/kernel/config/tsm/report, /dev/tdx_guest or \
            /dev/sev-guest on hosts without them. The command runs in a private mount \
            namespace: /sys/kernel gets a config directory there and tsmfs is mounted on it \
            (where /sys/kernel/config already exists, as a configfs without tsm, tsmfs is \
            mounted over it instead). With --provider tdx the namespace also has \
            /dev/tdx_guest, the measurement registers at \
            /sys/devices/virtual/misc/tdx_guest/measurements (and via /sys/class/misc/tdx_guest) \
            and the boot event log at /sys/firmware/acpi/tables/CCEL and tables/data/CCEL; \
            with --provider sev it has /dev/sev-guest. --kernel X.Y serves what Linux X.Y has \
            (6.6: the devices but no configfs-tsm; 6.16: the measurement registers). The rest of /dev and /sys stays as on the \
            host, /sys/kernel's other entries included. When the command exits, everything is \
            unmounted and its exit status is tsmfs exec's, whatever the command mounted meanwhile. \
            Needs root (CAP_SYS_ADMIN).

            Examples:
              tsmfs exec --provider tdx -- hexdump -C /sys/kernel/config/tsm/report/r/outblob
              tsmfs exec --provider sev --config /etc/tsmfs.toml -- ./attest-client
              tsmfs exec --provider tdx --kernel 6.6 -- ./client-that-falls-back-to-ioctl
            """
    )

    @OptionGroup var providerOptions: ProviderOptions

    @Option(name: .customShort("o"), help: ArgumentHelp("FUSE mount options, passed to tsmfs mount.", valueName: "options"))
    var fuseOptions: [String] = []

    @Option(help: ArgumentHelp("Report files as owned by UID:GID (see tsmfs mount --owner).", valueName: "uid:gid"))
    var owner: String?

    @Option(help: ArgumentHelp("Where to mount inside the namespace.", valueName: "path"))
    var at = "/sys/kernel/config"

    @Flag(
        help: ArgumentHelp(
            "Also run Intel's PCS/PCCS and AMD's KDS for the simulated roots, in a private network with only loopback, "
                + "where the vendors' host names resolve to them and their TLS CA is trusted (see tsmfs serve)."))
    var services = false

    @Flag(help: .hidden)
    var insideNamespace = false

    /// The staging directory the outer process made for the inner one (see ``enterNamespace()``).
    @Option(help: .hidden)
    var staging: String?

    @Argument(parsing: .captureForPassthrough, help: "The command to run (after --).")
    var command: [String] = []

    func validate() throws {
        if command.first == "--" { return }
        guard !command.isEmpty else { throw ValidationError("name the command to run after --, e.g. tsmfs exec -- cat …") }
    }

    private var commandLine: [String] { command.first == "--" ? Array(command.dropFirst()) : command }

    func run() throws {
        try withOneLineErrors {
            guard !commandLine.isEmpty else { throw CLIError("name the command to run after --") }
            let status = insideNamespace ? try runInside() : try enterNamespace()
            throw ExitCode(status)
        }
    }

    /// Re-runs this command under `unshare --mount --propagation private`, so that every mount
    /// it makes stays in its own namespace and disappears with it.
    private func enterNamespace() throws -> Int32 {
        // The staging directory is made here, outside the namespace, and removed here once the inside is
        // done — also when the inside was killed — so a host's /tmp never keeps one.
        let staging = try NamespacePlacement.stagingDirectory("staging")
        defer { rmdir(staging) }
        var arguments = ["--mount", "--propagation", "private"] + (services ? ["--net"] : [])
        arguments += ["--", currentExecutable(), "exec", "--inside-namespace"] + (services ? ["--services"] : [])
        arguments += forwardedOptions() + ["--staging", staging]
        // The seed reaches the re-executed tsmfs through an inherited pipe, never its command line.
        let seedPipe = try providerOptions.resolve().seed.map(SeedHandoff.pipe)
        defer { if let seedPipe { close(seedPipe) } }
        if seedPipe != nil { arguments += ["--deterministic-seed-fd", String(SeedHandoff.descriptor)] }
        arguments += ["--at", at, "--"] + commandLine
        return try runProgram("unshare", arguments, passing: seedPipe.map { [($0, SeedHandoff.descriptor)] } ?? [])
    }

    private func forwardedOptions() -> [String] {
        var options: [String] = []
        if let provider = providerOptions.provider { options += ["--provider", provider.rawValue] }
        if let kernel = providerOptions.kernel { options += ["--kernel", kernel] }
        if let stateDir = providerOptions.stateDir { options += ["--state-dir", absolutePath(stateDir)] }
        if let config = providerOptions.config { options += ["--config", absolutePath(config)] }
        if let owner { options += ["--owner", owner] }
        for option in fuseOptions { options += ["-o", option] }
        return options
    }

    private func runInside() throws -> Int32 {
        // Everything staged lives on a tmpfs of this namespace's own, over the directory the outer
        // process made: nothing of it reaches the host, whatever happens to this process.
        let workspace = try staging ?? NamespacePlacement.stagingDirectory("staging")
        guard mount("tsmfs", workspace, "tmpfs", 0, "mode=0700") == 0 else {
            throw CLIError("cannot mount a tmpfs on \(workspace): \(systemError(errno)) (tsmfs exec needs root)")
        }
        // Declared first, so it runs last: when the outer process was killed, this side removes it.
        defer {
            umount2(workspace, Int32(MNT_DETACH))
            rmdir(workspace)
        }
        let placement = NamespacePlacement(workspace: workspace)
        var info = stat()
        if stat(at, &info) != 0 {
            // No configfs here: make room for the directory, keeping the rest of /sys/kernel visible.
            try placement.makeDirectory(at)
        }
        // Devices are served at a staging directory and bound into place from there.
        let resolved = try providerOptions.resolve()
        let provider = resolved.settings.provider
        let devices = provider == .tdx || provider == .sev ? try placement.workspaceDirectory("devices") : nil
        // The daemon is this process's own child, so every way out below can stop and reap it.
        let daemon = try Daemon.start(
            arguments: ["mount", "--foreground", "--exit-with-parent", "--ready-fd", String(Daemon.readyDescriptor)]
                + forwardedOptions() + (devices.map { ["--devices", $0] } ?? []) + [at], logFile: nil, seed: resolved.seed)
        defer {
            // The command may have mounted over `at` or left the namespace in any state: the daemon is
            // stopped by signal, not by finding its mount, so this always returns.
            _ = try? detachMount(at, lazy: true)
            kill(daemon, SIGTERM)
            var status: Int32 = 0
            while waitpid(daemon, &status, 0) < 0 && errno == EINTR {}
        }
        if let devices {
            try placeGuestDevices(from: devices, provider: provider, placement: placement)
        }
        let server = services ? try HermeticServices.start(resolved.assembly, placement: placement, verbose: false) : nil
        defer { server?.shutdown() }
        do {
            return try runProgram(commandLine[0], Array(commandLine.dropFirst()))
        } catch let failure as SpawnError {
            _ = exitWithMessage(failure.description)
            return failure.exitStatus
        }
    }

    /// Binds the daemon's devices and registers at the kernel's paths, then drops the staging
    /// mount, so the namespace shows them only where the kernel would.
    private func placeGuestDevices(from staging: String, provider: ProviderChoice, placement: NamespacePlacement) throws {
        switch provider {
        case .tdx:
            try placement.bind("\(staging)/dev/tdx_guest", at: "/dev/tdx_guest", as: .file)
            let device = "sys/devices/virtual/misc/tdx_guest"
            try placement.bind("\(staging)/\(device)", at: "/\(device)", as: .directory)
            try placement.link("/sys/class/misc/tdx_guest", to: "../../devices/virtual/misc/tdx_guest")
            // The boot event log, beside whatever ACPI tables the host has.
            let tables = "sys/firmware/acpi/tables"
            try placement.bind("\(staging)/\(tables)/CCEL", at: "/\(tables)/CCEL", as: .file)
            try placement.bind("\(staging)/\(tables)/data/CCEL", at: "/\(tables)/data/CCEL", as: .file)
        case .sev:
            try placement.bind("\(staging)/dev/sev-guest", at: "/dev/sev-guest", as: .file)
        default:
            break
        }
        _ = umount2(staging, Int32(MNT_DETACH))
    }
}
