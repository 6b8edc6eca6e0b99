import Foundation
import Glibc
import TestDirectories
import Testing

/// Every setting of every section, fed values it must refuse: the error names the file, the line
/// and the setting, and nothing is mounted.
@Suite struct ConfigFieldTests {
    enum Kind { case string, integer, boolean, hex, choice, serials, stringList }

    static let fields: [(section: String, key: String, kind: Kind)] = [
        ("tsmfs", "provider", .choice), ("tsmfs", "state_dir", .string), ("tsmfs", "owner", .choice),
        ("tsmfs", "max_entries", .integer), ("tsmfs", "max_concurrent_generations", .integer),
        ("tsmfs", "max_cached_mib", .integer), ("tsmfs", "entry_timeout_ms", .integer),
        ("tsmfs", "attr_timeout_ms", .integer), ("tsmfs", "release_wait_ms", .integer), ("tsmfs", "kernel", .choice),
        ("echo", "name", .string), ("echo", "attributes", .choice), ("echo", "privlevel_floor", .integer),
        ("echo", "fail_with", .choice), ("echo", "latency_ms", .integer),
        ("tdx", "quote_version", .integer), ("tdx", "body_type", .integer), ("tdx", "td_attributes", .hex),
        ("tdx", "xfam", .hex), ("tdx", "mrtd", .hex), ("tdx", "mrconfigid", .hex), ("tdx", "mrowner", .hex),
        ("tdx", "mrownerconfig", .hex), ("tdx", "rtmr0", .hex), ("tdx", "rtmr3", .hex), ("tdx", "mrservicetd", .hex),
        ("tdx", "mrseam", .hex), ("tdx", "tee_tcb_svn", .hex), ("tdx", "tee_tcb_svn2", .hex), ("tdx", "fmspc", .hex),
        ("tdx", "sgx_tcb_components", .hex), ("tdx", "pce_svn", .integer), ("tdx", "qe_svn", .integer),
        ("tdx", "tcb_status", .choice), ("tdx", "quote_service", .choice), ("tdx", "quote_timeout", .boolean),
        ("tdx", "latency_ms", .integer), ("tdx", "latency_jitter_ms", .integer),
        ("tdx", "quoting", .choice), ("tdx", "max_quote_size", .integer),
        ("tdx.boot", "kernel", .string), ("tdx.boot", "kernel_digest", .hex), ("tdx.boot", "initrd", .string),
        ("tdx.boot", "initrd_digest", .hex), ("tdx.boot", "boot_loader_digest", .hex), ("tdx.boot", "td_hob_digest", .hex),
        ("tdx.boot", "configuration_volume_digest", .hex), ("tdx.boot", "kernel_path", .string),
        ("tdx.boot", "initrd_path", .string), ("tdx.boot", "command_line", .string), ("tdx.boot", "log_area_size", .integer),
        ("sev", "product_line", .choice), ("sev", "report_version", .integer), ("sev", "guest_vmpl", .integer),
        ("sev", "signing_key", .choice), ("sev", "guest_svn", .integer), ("sev", "policy", .integer),
        ("sev", "platform_info", .integer), ("sev", "family_id", .hex), ("sev", "image_id", .hex),
        ("sev", "measurement", .hex), ("sev", "host_data", .hex), ("sev", "id_key_digest", .hex),
        ("sev", "author_key_digest", .hex), ("sev", "report_id", .hex), ("sev", "chip_id", .hex),
        ("sev", "tcb_bootloader", .integer), ("sev", "tcb_tee", .integer), ("sev", "tcb_snp", .integer),
        ("sev", "tcb_microcode", .integer), ("sev", "firmware_major", .integer), ("sev", "firmware_minor", .integer),
        ("sev", "firmware_build", .integer), ("sev", "invalid_params", .boolean), ("sev", "vmpck_disabled", .boolean),
        ("sev", "host_busy", .boolean), ("sev", "no_certificates", .boolean), ("sev", "latency_ms", .integer),
        ("sev", "hwid_encoding", .choice), ("sev", "revoked_serials", .serials),
        ("cca", "profile", .choice), ("cca", "collection", .choice), ("cca", "platform_algorithm", .choice),
        ("cca", "implementation_id", .hex), ("cca", "instance_id", .hex), ("cca", "platform_config", .hex),
        ("cca", "lifecycle", .integer), ("cca", "verification_service", .string), ("cca", "platform_hash_algorithm", .choice),
        ("cca", "software_components", .stringList), ("cca", "personalization_value", .hex),
        ("cca", "realm_hash_algorithm", .choice),
        ("cca", "rak_hash_algorithm", .choice), ("cca", "rim", .hex), ("cca", "rem0", .hex), ("cca", "rem3", .hex),
        ("cca", "rsi_error", .boolean), ("cca", "token_init_failure", .boolean), ("cca", "latency_ms", .integer),
    ]

    /// Values each kind must refuse: wrong types, negative, overflowing, empty, binary, out of range.
    static func badValues(_ kind: Kind) -> [String] {
        switch kind {
        case .string: return ["5", "true", "\"unterminated"]
        case .integer: return ["\"5\"", "-1", "99999999999999999999", "true", "0x", "1.5"]
        case .boolean: return ["1", "\"yes\"", "maybe"]
        case .hex: return ["\"zz\"", "\"\"", "\"0\"", "7", "\"\u{00e9}\u{00e9}\""]
        case .choice: return ["\"bogus\"", "\"\"", "3"]
        case .stringList: return ["\"BL:1.0.0:00\"", "[1]", "[\"no-colons\"]", "true"]
        case .serials: return ["[\"zz\"]", "\"02, 1f\"", "[2]", "true", "[\"\"]"]
        }
    }

    @Test func everyFieldRefusesBadValuesNamingFileLineAndSetting() throws {
        let mountpoint = makeTemporaryDirectory()
        defer { rmdir(mountpoint) }
        let directory = makeTemporaryDirectory("tsmfs-config")
        let state = makeTemporaryDirectory("tsmfs-state")
        for field in Self.fields {
            let owner = String(field.section.split(separator: ".")[0])
            let provider = ["tdx", "sev", "cca", "echo"].contains(owner) ? owner : "echo"
            for value in Self.badValues(field.kind) {
                // Whatever a state_dir string is, it is a valid path: only type errors apply there.
                if field.key == "state_dir" && value.hasPrefix("\"") { continue }
                let text = "# line 1\n[tsmfs]\nstate_dir = \"\(state)\"\n[\(field.section)]\n\(field.key) = \(value)\n"
                    .replacingOccurrences(of: "[tsmfs]\nstate_dir = \"\(state)\"\n[tsmfs]\n", with: "[tsmfs]\n")
                let path = directory + "/bad.toml"
                try text.write(toFile: path, atomically: false, encoding: .utf8)
                let result = try run(TSMFSBinary.path, ["mount", "--provider", provider, "--config", path, mountpoint])
                #expect(result.status == 1, "\(field.section).\(field.key) = \(value) was accepted")
                let line = text.components(separatedBy: "\n").firstIndex { $0.hasPrefix("\(field.key) =") }! + 1
                #expect(
                    result.stderr.hasPrefix("tsmfs: \(path):\(line): ") && result.stderr.contains(field.key),
                    "\(field.section).\(field.key) = \(value): \(result.stderr)")
                if MountTableSnapshot.tsmfsMounts().contains(mountpoint) { _ = try tsmfs("unmount", mountpoint) }
            }
        }
    }

    @Test func combinationsAreRefusedNamingTheLineToo() throws {
        let cases = [
            ("tdx", "quote_version = 4\nbody_type = 3", "body_type", 3), ("sev", "report_version = 4", "report_version", 2),
            ("sev", "policy = 0x10000", "policy", 2),
            // RTMR0–2 are the boot log's replay and RTMR3 starts at zero: values that say otherwise are refused.
            (
                "tdx", "mrtd = \"\(String(repeating: "11", count: 48))\"\nrtmr1 = \"\(String(repeating: "00", count: 48))\"",
                "rtmr1", 3
            ),
            ("tdx", "rtmr3 = \"\(String(repeating: "01", count: 48))\"", "rtmr3", 2),
            // The kernel version moved to [tsmfs]; the message names the new place.
            ("tdx", "kernel = \"7.0\"", "kernel", 2),
            (
                "tdx.boot", "kernel = \"/etc/hostname\"\nkernel_digest = \"\(String(repeating: "aa", count: 48))\"",
                "kernel_digest", 3
            ),
            ("tdx.boot", "log_area_size = 4096\ncommand_line = \"\(String(repeating: "x", count: 2000))\"", "log_area_size", 2),
        ]
        for (section, settings, key, line) in cases {
            let path = makeTemporaryDirectory("tsmfs-config") + "/combo.toml"
            try "[\(section)]\n\(settings)\n".write(toFile: path, atomically: false, encoding: .utf8)
            let result = try run(
                TSMFSBinary.path,
                [
                    "roots", "--provider", String(section.split(separator: ".")[0]), "--config", path,
                    "--state-dir", makeTemporaryDirectory("tsmfs-state"),
                    "--out", makeTemporaryDirectory("tsmfs-out"),
                ])
            #expect(result.status == 1)
            #expect(result.stderr.hasPrefix("tsmfs: \(path):\(line): [\(section)] \(key): "), "\(result.stderr)")
        }
    }

    @Test func nonUTF8ConfigFileIsRefused() throws {
        let path = makeTemporaryDirectory("tsmfs-config") + "/binary.toml"
        try Data([0x5B, 0xFF, 0xFE, 0x5D, 0x0A]).write(to: URL(fileURLWithPath: path))
        let result = try run(TSMFSBinary.path, ["mount", "--config", path, makeTemporaryDirectory()])
        #expect(result.status == 1)
        #expect(result.stderr == "tsmfs: config file \(path) is not valid UTF-8 text\n")
    }
}
