import ArgumentParser
import Assembly
import ConfigfsTSM
import Glibc
import ProviderKit
import TSMConfig

/// Options naming the provider and where its simulated root of trust lives; shared by
/// `mount`, `roots` and `collateral` so they always agree on keys and configuration.
struct ProviderOptions: ParsableArguments {
    @Option(help: "The simulated TEE: tdx, sev, cca, echo or none (default: the config file's, else echo).")
    var provider: ProviderChoice?

    @Option(help: ArgumentHelp("Where keys and certificates are kept (default: /var/lib/tsmfs).", valueName: "dir"))
    var stateDir: String?

    @Option(
        help: ArgumentHelp(
            "A configuration file (docs/configuration.md and examples/*.toml list its settings).", valueName: "file"))
    var config: String?

    @Option(
        help: ArgumentHelp(
            "Derive every simulated key from this hex seed (at least 16 bytes) instead of the state directory, for "
                + "reproducible fixtures. Other users can read a command line: prefer --deterministic-seed-file.",
            valueName: "hex"))
    var deterministicSeed: String?

    @Option(
        help: ArgumentHelp(
            "Read the deterministic seed (hex) from this file, which must be yours and unreadable by others (chmod 600).",
            valueName: "file"))
    var deterministicSeedFile: String?

    @Option(
        help: ArgumentHelp(
            "Serve the guest ABI of this Linux version, 6.6 to 7.1 (default: the config file's, else the newest): "
                + "e.g. 6.6 has the vendor devices but no configfs-tsm, 6.16 adds the TDX measurement registers "
                + "(docs/kernel-profiles.md).",
            valueName: "X.Y"))
    var kernel: String?

    /// How a daemon receives the seed from the command that starts it: an inherited pipe, never argv.
    @Option(help: .hidden)
    var deterministicSeedFd: Int32?

    func validate() throws {
        if let kernel, KernelProfile(kernel) == nil {
            throw ValidationError("--kernel \(kernel): \(KernelProfile.expectation)")
        }
        if let deterministicSeed, Self.parseSeed(deterministicSeed) == nil {
            throw ValidationError("--deterministic-seed must be at least 32 hexadecimal digits (16 bytes)")
        }
        if [deterministicSeed != nil, deterministicSeedFile != nil, deterministicSeedFd != nil].filter({ $0 }).count > 1 {
            throw ValidationError("give the seed once: --deterministic-seed or --deterministic-seed-file")
        }
    }

    static func parseSeed(_ text: String) -> [UInt8]? {
        guard text.utf8.count >= 32 else { return nil }
        return [UInt8](hex: text)
    }

    /// The seed from whichever source names it: the option, a seed file (the option's, else the
    /// config's `deterministic_seed_file`), or the descriptor a starting command handed over.
    func seed(configuredFile: String?) throws -> [UInt8]? {
        if let deterministicSeed { return Self.parseSeed(deterministicSeed) }
        if let deterministicSeedFd { return try SeedHandoff.receive(deterministicSeedFd) }
        return try (deterministicSeedFile.map(absolutePath) ?? configuredFile).map(SeedHandoff.readFile)
    }

    /// Everything a command needs to build the provider, resolved once.
    struct Resolved {
        var configPath: String?
        var configFile: ConfigFile
        var settings: MountSettings
        var seed: [UInt8]?

        /// The providers, PKI and guest surface this configuration describes.
        var assembly: ProviderAssembly {
            ProviderAssembly(
                configFile: configFile, provider: settings.provider, stateDirectory: settings.stateDirectory,
                owner: settings.owner, seed: seed, kernel: settings.kernel)
        }
    }

    func resolve(owner: Ownership? = nil) throws -> Resolved {
        let configPath = config.map(absolutePath)
        let configFile = try loadConfig(configPath)
        let settings = try MountSettings(
            configFile, provider: provider, stateDir: stateDir.map(absolutePath), owner: owner,
            kernel: kernel.flatMap(KernelProfile.init))
        return Resolved(
            configPath: configPath, configFile: configFile, settings: settings,
            seed: try seed(configuredFile: settings.seedFile))
    }

    /// The sections a configuration file may have: `[tsmfs]` and one per provider.
    static let configSections = ["tsmfs"] + ProviderChoice.allCases.filter { $0 != .none }.map(\.rawValue) + ["tdx.boot"]

    /// A configuration file is small text; anything larger is a mistake (a device, a log).
    static let configSizeLimit = 1 << 20

    private func loadConfig(_ path: String?) throws -> ConfigFile {
        guard let path else { return .empty() }
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard descriptor >= 0 else {
            throw CLIError("cannot read config file \(path): \(systemError(errno))")
        }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
            throw CLIError("config file \(path) is not a regular file: name a TOML file (see examples/tsmfs.toml)")
        }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while bytes.count <= Self.configSizeLimit {
            let count = read(descriptor, &chunk, chunk.count)
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else {
                throw CLIError("cannot read config file \(path): \(systemError(errno))")
            }
            if count == 0 { break }
            bytes += chunk[..<count]
        }
        guard bytes.count <= Self.configSizeLimit else {
            throw CLIError("config file \(path) is larger than \(Self.configSizeLimit >> 20) MiB; is it the right file?")
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw CLIError("config file \(path) is not valid UTF-8 text")
        }
        let file = try ConfigFile(parsing: text, name: path)
        try file.checkSections(known: Self.configSections)
        return file
    }
}

extension ProviderChoice: ExpressibleByArgument {}

extension String {
    /// The string padded with spaces to at least `width` characters.
    func padding(_ width: Int) -> String {
        count >= width ? self + " " : self + String(repeating: " ", count: width - count)
    }
}
