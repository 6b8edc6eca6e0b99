import ArgumentParser
import ByteLayout
import Foundation
import TDXProvider

/// `tsmfs update-module`: a runtime update of the simulated TDX module of a running daemon.
struct UpdateModuleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "update-module",
        abstract: "Update the simulated TDX module of a running tsmfs (tdx provider), as a TD-preserving update.",
        discussion: """
            The daemon serving MOUNTPOINT replaces its module: new quotes show the new SVN and \
            MRSEAM (TDX 1.5 reports in TEE_TCB_SVN2 and a DICE quote's current state, keeping the \
            launch module in TEE_TCB_SVN and the origin state; TDX 1.0 bodies in TEE_TCB_SVN), and \
            with quoting = "dice" a new module certificate and a new quoting key, as TDH.QUOTE.INIT \
            renews it; reports already generated stay as they were. \
            While the update runs (--duration-ms) the TD is paused: a quote requested meanwhile \
            waits and is then made by the new module. An update whose quotes would not fit the \
            quote buffer fixed when the TD started, or a module without the quoting feature \
            (--without-quoting), is refused and changes nothing.

            Examples:
              tsmfs update-module /sys/kernel/config --svn 4
              tsmfs update-module /run/tsmfs --svn 5 --mrseam $(printf '5f%.0s' $(seq 48))
            """
    )

    @Option(help: ArgumentHelp("The new module's SVN (TEE_TCB_SVN byte 0), 0-255.", valueName: "n"))
    var svn: UInt8?

    @Option(help: ArgumentHelp("The new module's measurement, MRSEAM: 96 hex digits.", valueName: "hex"))
    var mrseam: String?

    @Flag(help: "Model a module image without the quoting feature (the update is refused).")
    var withoutQuoting = false

    @Option(
        help: ArgumentHelp(
            "How long the TD stays paused while the module is replaced (default 0, at most 60000). Stopping the daemon "
                + "abandons a paused update at once.", valueName: "ms"))
    var durationMs: UInt32 = 0

    @Argument(help: "Where the tsmfs daemon to update is mounted.")
    var mountpoint: String

    func validate() throws {
        if let mrseam, [UInt8](hex: mrseam)?.count != 48 {
            throw ValidationError("--mrseam must be 48 bytes as 96 hexadecimal digits")
        }
        if Duration.milliseconds(Int64(durationMs)) > ModuleUpdate.maximumDuration {
            throw ValidationError("--duration-ms is at most \(ModuleUpdate.maximumDuration.components.seconds * 1000) (a minute)")
        }
        if svn == nil && mrseam == nil && !withoutQuoting {
            throw ValidationError("say what changes: --svn N and/or --mrseam HEX")
        }
    }

    func run() throws {
        try withOneLineErrors {
            var fields = ["update-module"]
            if let svn { fields.append("svn=\(svn)") }
            if let mrseam { fields.append("mrseam=\(mrseam)") }
            if withoutQuoting { fields.append("quoting=none") }
            fields.append("duration_ms=\(durationMs)")
            let answer = try ControlChannel.request(fields.joined(separator: " "), mountpoint: absolutePath(mountpoint))
            guard answer.hasPrefix("ok ") else {
                throw CLIError(answer.hasPrefix("error ") ? String(answer.dropFirst(6)) : "unexpected answer: \(answer)")
            }
            print(answer.dropFirst(3))
        }
    }

    /// The daemon's side: parses a request line and applies it to `provider`.
    static func handle(_ line: String, provider: TDXProvider, isStopping: @escaping @Sendable () -> Bool = { false }) -> String {
        var update = ModuleUpdate()
        for field in line.split(separator: " ").dropFirst() {
            let parts = field.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { return "error malformed request field \(field)" }
            switch parts[0] {
            case "svn": update.svn = UInt8(parts[1])
            case "mrseam": update.mrSeam = [UInt8](hex: parts[1])
            case "quoting": update.hasQuoting = parts[1] != "none"
            case "duration_ms":
                guard let milliseconds = Int64(parts[1]), milliseconds >= 0 else { return "error malformed duration_ms" }
                update.duration = .milliseconds(milliseconds)
            default: return "error unknown request field \(parts[0])"
            }
        }
        do throws(ModuleUpdateError) {
            let result = try provider.updateModule(update, isStopping: isStopping)
            return "ok module updated: SVN \(result.previousSVN) -> \(result.svn), MRSEAM \(result.mrSeam.hexString), "
                + "quotes \(result.quoteSize) of \(result.maxQuoteSize) bytes, module load \(result.generation)"
        } catch {
            return "error \(error)"
        }
    }
}
