import Crypto
import EventLog
import Foundation
import ProviderKit
import TSMConfig

/// The `[tdx.boot]` section: what the simulated TD booted, which the boot event log (CCEL)
/// records and RTMR0–2 replay. Each component is a file to measure or a SHA-384 digest; anything
/// left out is a labelled simulated digest, so the default log looks like a Linux TD booted by
/// TDVF and GRUB.
public enum TDXBootSettings {
    /// The log and the table a TD's firmware leaves, and the registers they replay to.
    public struct Boot: Sendable, Equatable {
        public var measuredBoot: MeasuredBoot
        public var logAreaLength: Int
        /// /sys/firmware/acpi/tables/data/CCEL and /sys/firmware/acpi/tables/CCEL.
        public var log: [UInt8]
        public var table: [UInt8]
        /// RTMR0–2 as the log replays them.
        public var registers: [[UInt8]]
    }

    /// The kernel's COMMAND_LINE_SIZE on x86, its terminating NUL included.
    static let commandLineMax = 2047

    public static func read(_ section: ConfigSection, kernel: KernelProfile) throws(ConfigError) -> Boot {
        var boot = MeasuredBoot(stubMeasures: kernel.stubMeasuresBoot)
        boot.tdHOB = try section.hexBytes("td_hob_digest", count: 48) ?? boot.tdHOB
        boot.configurationVolume = try section.hexBytes("configuration_volume_digest", count: 48) ?? boot.configurationVolume
        boot.bootLoader = try section.hexBytes("boot_loader_digest", count: 48) ?? boot.bootLoader
        boot.kernel = try component("kernel", in: section) ?? boot.kernel
        boot.initrd = try component("initrd", in: section) ?? boot.initrd
        boot.kernelPath = try path("kernel_path", in: section) ?? boot.kernelPath
        boot.initrdPath = try path("initrd_path", in: section) ?? boot.initrdPath
        if let commandLine = try section.string("command_line") {
            guard commandLine.utf8.count <= commandLineMax, !commandLine.utf8.contains(0) else {
                throw section.invalid("command_line", "a kernel command line holds at most \(commandLineMax) bytes and no NUL")
            }
            boot.commandLine = commandLine
        }
        let area = try section.integer("log_area_size", as: Int.self, in: 4096...(16 << 20)) ?? CCEventLog.defaultAreaLength
        guard area % 4096 == 0 else {
            throw section.invalid("log_area_size", "the log area is whole pages: a multiple of 4096")
        }
        try section.finish()
        let eventLog = CCEventLog(events: boot.events)
        let log: [UInt8]
        do {
            log = try eventLog.bytes(areaLength: area)
        } catch {
            throw section.invalid("log_area_size", "\(error); raise log_area_size")
        }
        return Boot(
            measuredBoot: boot, logAreaLength: area, log: log,
            table: CCELTable(logAreaLength: UInt64(area)).bytes, registers: eventLog.replayedRegisters)
    }

    /// A component given as a file to measure (`kernel = "/boot/vmlinuz-6.8"`) or as its digest
    /// (`kernel_digest = "…"`), not both.
    private static func component(_ name: String, in section: ConfigSection) throws(ConfigError) -> [UInt8]? {
        let file = try section.string(name)
        let digest = try section.hexBytes("\(name)_digest", count: 48)
        switch (file, digest) {
        case (let file?, nil):
            do {
                return try digestOfFile(file)
            } catch {
                throw section.invalid(name, "cannot read \(file) to measure it: \(error.localizedDescription)")
            }
        case (nil, let digest):
            return digest
        case (.some, .some):
            throw section.invalid("\(name)_digest", "give \(name) (a file to measure) or \(name)_digest, not both")
        }
    }

    /// SHA-384 of a file, read in chunks (kernels and initrds run to tens of megabytes).
    private static func digestOfFile(_ path: String) throws -> [UInt8] {
        let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        var hash = SHA384()
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty { hash.update(data: chunk) }
        return Array(hash.finalize())
    }

    /// A path GRUB names: absolute, printable, no spaces (GRUB's commands are split on them).
    private static func path(_ key: String, in section: ConfigSection) throws(ConfigError) -> String? {
        guard let path = try section.string(key) else { return nil }
        guard path.hasPrefix("/"), path.count <= 255, path.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F })
        else {
            throw section.invalid(key, "a boot path is absolute, printable ASCII, without spaces, at most 255 characters")
        }
        return path
    }
}
