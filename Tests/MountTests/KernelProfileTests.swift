import Foundation
import Glibc
import TestDirectories
import Testing

/// `--kernel X.Y` serves the guest ABI of that Linux version, one row of the version table each:
/// exactly the surfaces that version has — configfs-tsm from 6.7, per-provider attribute
/// visibility and the SVSM attributes from 6.11, arm_cca_guest from 6.13, tsm-mr from 6.16, the
/// EFI stub's boot measurements from 6.9, EIO for a failed quote from 7.1 — and nothing else.
@Suite(.serialized) struct KernelProfileTests {
    static let original = ["auxblob", "generation", "inblob", "outblob", "privlevel", "privlevel_floor", "provider"]
    static let registers = [
        "mrconfigid", "mrowner", "mrownerconfig", "mrtd:sha384", "rtmr0:sha384", "rtmr1:sha384", "rtmr2:sha384",
        "rtmr3:sha384",
    ]
    static let state = makeTemporaryDirectory("tsmfs-state")

    /// What one provider's guest shows on `kernel`, as a shell user lists it.
    static func survey(_ provider: String, kernel: String, config: String = "") throws -> (CommandResult, String) {
        let work = makeTemporaryDirectory("tsmfs-profile")
        let configFile = work + "/config.toml"
        try config.write(toFile: configFile, atomically: false, encoding: .utf8)
        let script = """
            ls -A /sys/kernel/config > $w/config
            if [ -d /sys/kernel/config/tsm/report ]; then
              mkdir /sys/kernel/config/tsm/report/e; ls /sys/kernel/config/tsm/report/e > $w/attributes
              head -c 64 /dev/zero > /sys/kernel/config/tsm/report/e/inblob
              if cat /sys/kernel/config/tsm/report/e/outblob > $w/outblob 2>$w/outblob.err; then echo ok; else echo failed; fi > $w/read
            fi
            if [ -d /sys/devices/virtual/misc/tdx_guest ]; then ls /sys/devices/virtual/misc/tdx_guest > $w/device; fi
            if [ -d /sys/devices/virtual/misc/tdx_guest/measurements ]; then
              ls /sys/devices/virtual/misc/tdx_guest/measurements > $w/registers
            fi
            if [ -e /sys/firmware/acpi/tables/data/CCEL ]; then
              cp /sys/firmware/acpi/tables/CCEL $w/table; cp /sys/firmware/acpi/tables/data/CCEL $w/data
            fi
            ls /dev | grep -E '^(tdx_guest|sev-guest)$' > $w/devices || true
            """
        let result = try run(
            TSMFSBinary.path,
            [
                "exec", "--provider", provider, "--kernel", kernel, "--state-dir", state, "--config", configFile, "--",
                "sh", "-ec", "w=\(work)\n" + script,
            ])
        return (result, work)
    }

    static func lines(_ path: String) -> [String]? {
        (try? String(contentsOfFile: path, encoding: .utf8)).map { $0.split(separator: "\n").map(String.init) }
    }

    static func at(_ kernel: String, least: String) -> Bool {
        let parse = { (text: String) in text.split(separator: ".").map { Int($0)! } }
        return parse(kernel).lexicographicallyPrecedes(parse(least)) == false
    }

    @Test(arguments: ["6.6", "6.7", "6.9", "6.10", "6.11", "6.13", "6.15", "6.16", "7.0", "7.1"])
    func aTDXGuestShowsExactlyItsVersionsSurfaces(_ kernel: String) throws {
        let (result, work) = try Self.survey("tdx", kernel: kernel, config: "[tdx]\nquote_service = \"unavailable\"\n")
        #expect(result.status == 0, "\(result.stderr)")
        let hasConfigfs = Self.at(kernel, least: "6.7")
        #expect(Self.lines(work + "/config") == (hasConfigfs ? ["tsm"] : []))
        if hasConfigfs {
            let visible = Self.at(kernel, least: "6.11") ? ["generation", "inblob", "outblob", "provider"] : Self.original
            #expect(Self.lines(work + "/attributes") == visible)
            // The host could not quote: an empty outblob until 7.1, EIO from 7.1.
            if Self.at(kernel, least: "7.1") {
                #expect(Self.lines(work + "/read") == ["failed"])
                #expect(try String(contentsOfFile: work + "/outblob.err", encoding: .utf8).contains("Input/output error"))
            } else {
                #expect(Self.lines(work + "/read") == ["ok"])
                #expect(try Data(contentsOf: URL(fileURLWithPath: work + "/outblob")).isEmpty)
            }
        }
        #expect(Self.lines(work + "/devices") == ["tdx_guest"])
        let hasRegisters = Self.at(kernel, least: "6.16")
        #expect(Self.lines(work + "/device") == (hasRegisters ? ["measurements"] : []))
        #expect(Self.lines(work + "/registers") == (hasRegisters ? Self.registers : nil))
        // The boot log exists on every profile; the EFI stub adds its two tagged events from 6.9.
        let log = try BootLogTests.replay(table: work + "/table", data: work + "/data")
        let tagged = (log["events"] as? [[String: Any]] ?? []).filter { $0["type"] as? Int == 6 }
        #expect(tagged.count == (Self.at(kernel, least: "6.9") ? 2 : 0))
    }

    @Test(arguments: ["6.6", "6.10", "6.11", "7.1"])
    func anSEVGuestUnderAnSVSMShowsTheServiceAttributesFrom611(_ kernel: String) throws {
        let (result, work) = try Self.survey("sev", kernel: kernel, config: "[sev]\nguest_vmpl = 2\n")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(Self.lines(work + "/devices") == ["sev-guest"])
        #expect(Self.lines(work + "/table") == nil, "no CCEL on SEV-SNP")
        guard Self.at(kernel, least: "6.7") else {
            #expect(Self.lines(work + "/attributes") == nil)
            return
        }
        let expected =
            Self.at(kernel, least: "6.11")
            ? (Self.original + ["manifestblob", "service_guid", "service_manifest_version", "service_provider"]).sorted()
            : Self.original
        #expect(Self.lines(work + "/attributes") == expected)
    }

    @Test(arguments: ["6.12", "6.13"])
    func armCCAGuestsNeed613(_ kernel: String) throws {
        let result = try run(
            TSMFSBinary.path, ["exec", "--provider", "cca", "--kernel", kernel, "--state-dir", Self.state, "--", "true"])
        if Self.at(kernel, least: "6.13") {
            #expect(result.status == 0, "\(result.stderr)")
        } else {
            #expect(result.status == 1)
            #expect(result.stderr.contains("Linux 6.12 has no arm_cca_guest provider (it arrived in 6.13)"), "\(result.stderr)")
        }
    }

    @Test func unknownVersionsAreRefusedNamingTheRange() throws {
        for version in ["6.5", "6.20", "7", "latest"] {
            let result = try run(TSMFSBinary.path, ["exec", "--provider", "echo", "--kernel", version, "--", "true"])
            #expect(result.status != 0)
            #expect(result.stderr.contains("a Linux version from 6.6 to 6.19, 7.0 or 7.1"), "\(version): \(result.stderr)")
        }
    }

    /// A background mount keeps the version it was given: the daemon it starts serves 6.6's empty
    /// configfs root.
    @Test func aBackgroundMountKeepsItsKernelVersion() throws {
        let mountpoint = makeTemporaryDirectory()
        defer { rmdir(mountpoint) }
        let mounted = try run(
            TSMFSBinary.path, ["mount", "--provider", "tdx", "--kernel", "6.6", "--state-dir", Self.state, mountpoint])
        #expect(mounted.status == 0, "\(mounted.stderr)")
        defer { _ = try? run(TSMFSBinary.path, ["unmount", mountpoint]) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: mountpoint).isEmpty)
    }
}
