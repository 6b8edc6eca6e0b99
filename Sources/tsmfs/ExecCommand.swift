import ArgumentParser
import Glibc

/// `tsmfs exec`: run one command with tsmfs at the canonical path, without touching the host.
struct ExecCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exec",
        abstract: "Run a command with the whole simulated guest surface in a private mount namespace.",
        discussion: """
            For clients that hard-code /sys/kernel/config/tsm/report, /dev/tdx_guest or \
            /dev/sev-guest on hosts without them. The command runs in a private mount \
            namespace: a tmpfs covers /sys/kernel there and tsmfs is mounted on a fresh \
            /sys/kernel/config (where /sys/kernel/config already exists, as a configfs without \
            tsm, tsmfs is mounted over it instead). With --provider tdx the namespace also has \
            /dev/tdx_guest and the measurement registers at \
            /sys/devices/virtual/misc/tdx_guest/measurements (and via /sys/class/misc/tdx_guest); \
            with --provider sev it has /dev/sev-guest. The rest of /dev and /sys stays as on the \
            host. When the command exits, everything is unmounted and its exit status is tsmfs \
            exec's. Needs root (CAP_SYS_ADMIN).

            Examples:
              tsmfs exec --provider tdx -- hexdump -C /sys/kernel/config/tsm/report/r/outblob
              tsmfs exec --provider sev --config /etc/tsmfs.toml -- ./attest-client
            """
    )

    @OptionGroup var providerOptions: ProviderOptions

    @Option(name: .customShort("o"), help: ArgumentHelp("FUSE mount options, passed to tsmfs mount.", valueName: "options"))
    var fuseOptions: [String] = []

    @Option(help: ArgumentHelp("Report files as owned by UID:GID (see tsmfs mount --owner).", valueName: "uid:gid"))
    var owner: String?

    @Option(help: ArgumentHelp("Where to mount inside the namespace.", valueName: "path"))
    var at = "/sys/kernel/config"

    @Flag(help: .hidden)
    var insideNamespace = false

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
        var arguments = ["--mount", "--propagation", "private", "--", currentExecutable(), "exec", "--inside-namespace"]
        arguments += forwardedOptions()
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
        if let stateDir = providerOptions.stateDir { options += ["--state-dir", absolutePath(stateDir)] }
        if let config = providerOptions.config { options += ["--config", absolutePath(config)] }
        if let owner { options += ["--owner", owner] }
        for option in fuseOptions { options += ["-o", option] }
        return options
    }

    private func runInside() throws -> Int32 {
        var info = stat()
        if stat(at, &info) != 0 {
            // No configfs here: give the namespace its own /sys/kernel to create the directory in.
            let parent = String(at[..<(at.lastIndex(of: "/") ?? at.endIndex)])
            guard mount("tsmfs", parent, "tmpfs", 0, "mode=0755") == 0 else {
                throw CLIError("cannot mount a tmpfs on \(parent): \(systemError(errno)) (tsmfs exec needs root)")
            }
            guard mkdir(at, 0o755) == 0 else {
                throw CLIError("cannot create \(at): \(systemError(errno))")
            }
        }
        // Devices are served at a staging directory and bound into place from there.
        let resolved = try providerOptions.resolve()
        let provider = resolved.settings.provider
        let staging = provider == .tdx || provider == .sev ? try NamespacePlacement.stagingDirectory("devices") : nil
        defer { if let staging { rmdir(staging) } }
        // The daemon is this process's own child, so every way out below can stop and reap it.
        let daemon = try Daemon.start(
            arguments: ["mount", "--foreground", "--exit-with-parent", "--ready-fd", String(Daemon.readyDescriptor)]
                + forwardedOptions() + (staging.map { ["--devices", $0] } ?? []) + [at], logFile: nil, seed: resolved.seed)
        defer {
            _ = try? detachMount(at, lazy: true)
            var status: Int32 = 0
            while waitpid(daemon, &status, 0) < 0 && errno == EINTR {}
        }
        if let staging {
            try placeGuestDevices(from: staging, provider: provider)
        }
        do {
            return try runProgram(commandLine[0], Array(commandLine.dropFirst()))
        } catch let failure as SpawnError {
            _ = exitWithMessage(failure.description)
            return failure.exitStatus
        }
    }

    /// Binds the daemon's devices and registers at the kernel's paths, then drops the staging
    /// mount, so the namespace shows them only where the kernel would.
    private func placeGuestDevices(from staging: String, provider: ProviderChoice) throws {
        let placement = NamespacePlacement()
        switch provider {
        case .tdx:
            try placement.bind("\(staging)/dev/tdx_guest", at: "/dev/tdx_guest", as: .file)
            let device = "sys/devices/virtual/misc/tdx_guest"
            try placement.bind("\(staging)/\(device)", at: "/\(device)", as: .directory)
            try placement.link("/sys/class/misc/tdx_guest", to: "../../devices/virtual/misc/tdx_guest")
        case .sev:
            try placement.bind("\(staging)/dev/sev-guest", at: "/dev/sev-guest", as: .file)
        default:
            break
        }
        _ = umount2(staging, Int32(MNT_DETACH))
    }
}
