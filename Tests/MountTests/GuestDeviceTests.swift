import ByteLayout
import Crypto
import Foundation
import Glibc
import SystemPackage
import TestDirectories
import Testing

/// The guest surface beyond configfs — /dev/tdx_guest, /dev/sev-guest and the TDX measurement
/// registers — driven through real mounts by unmodified clients and real syscalls.
@Suite(.serialized) struct GuestDeviceMountTests {
    static let measurements = "sys/devices/virtual/misc/tdx_guest/measurements"

    /// A tsmfs mount with its devices at a second directory.
    static func withDevices(
        provider: String, config: String = "", arguments: [String] = [], _ body: (MountedTSMFS, String, String) throws -> Void
    ) throws {
        let devices = makeTemporaryDirectory("tsmfs-devices")
        defer { rmdir(devices) }
        let state = makeTemporaryDirectory("tsmfs-state")
        let configText = "[tsmfs]\nprovider = \"\(provider)\"\nstate_dir = \"\(state)\"\n[\(provider)]\n" + config
        try withMount(provider: provider, config: configText, arguments: ["--devices", devices] + arguments) { fs in
            defer { _ = try? run(TSMFSBinary.path, ["unmount", "--lazy", devices]) }
            let trust = makeTemporaryDirectory("tsmfs-trust")
            for command in provider == "tdx" ? ["roots", "collateral"] : ["roots"] {
                let result = try run(TSMFSBinary.path, [command, "--config", fs.configPath!, "--out", trust])
                #expect(result.status == 0, "\(command): \(result.stderr)")
            }
            try body(fs, devices, trust)
        }
    }

    static func json(_ result: CommandResult) throws -> [String: Any] {
        let parsed = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        return try #require(parsed, "client output: \(result.stdout) \(result.stderr)")
    }

    // MARK: TDX

    @Test func libtdxAttestReportsExtendsAndQuotesInsideExec() throws {
        let state = makeTemporaryDirectory("tsmfs-state")
        let reportData = (0..<64).map { UInt8(($0 * 7) & 0xFF) }
        let extend2 = [UInt8](repeating: 0xA2, count: 48)
        let extend3 = [UInt8](repeating: 0xA3, count: 48)
        let quoteFile = makeTemporaryDirectory("tsmfs-quote") + "/quote.dat"
        let result = try run(
            TSMFSBinary.path,
            [
                "exec", "--provider", "tdx", "--state-dir", state, "--", TDXEvidenceTests.python,
                TDXEvidenceTests.packageRoot + "/Tests/Verifiers/tdx_dcap_client.py", TDXEvidenceTests.hex(reportData),
                TDXEvidenceTests.hex(extend2), TDXEvidenceTests.hex(extend3), quoteFile,
            ])
        #expect(result.status == 0, "\(result.stderr)")
        let calls = try Self.json(result)
        for call in ["get_report", "extend2", "extend3", "get_quote"] {
            #expect(calls[call] as? Int == 0, "\(call) returned \(calls[call] ?? "nothing"): \(result.stderr)")
        }
        let tdReport = [UInt8](hex: try #require(calls["tdreport"] as? String))!
        let quote = Array(try Data(contentsOf: URL(fileURLWithPath: quoteFile)))
        let body = 0x30  // the TD quote body of a v4 quote
        #expect(Array(tdReport[128..<192]) == reportData, "TDREPORT REPORTDATA")
        #expect(Array(quote[body + 0x208..<body + 0x248]) == reportData, "quote REPORTDATA")
        #expect(Array(tdReport[528..<576]) == Array(quote[body + 0x88..<body + 0xB8]), "MRTD")
        let zero = [UInt8](repeating: 0, count: 48)
        for (index, data) in [(2, extend2), (3, extend3)] {
            // The report was taken before the extension: RTMR2 holds the boot log's replay, RTMR3 zero.
            let before = Array(tdReport[720 + 48 * index..<768 + 48 * index])
            #expect((before == zero) == (index == 3), "RTMR\(index) at boot")
            let expected = Array(SHA384.hash(data: before + data))
            let inQuote = Array(quote[body + 0x148 + 48 * index..<body + 0x148 + 48 * (index + 1)])
            #expect(inQuote == expected, "RTMR\(index) in the quote")
            #expect(calls["rtmr\(index):sha384"] as? String == TDXEvidenceTests.hex(expected), "RTMR\(index) in sysfs")
        }
        #expect(calls["mrtd:sha384"] as? String == TDXEvidenceTests.hex(Array(tdReport[528..<576])))

        let trust = makeTemporaryDirectory("tsmfs-trust")
        for command in ["roots", "collateral"] {
            let export = try run(TSMFSBinary.path, [command, "--provider", "tdx", "--state-dir", state, "--out", trust])
            #expect(export.status == 0, "\(export.stderr)")
        }
        let verdict = try TDXEvidenceTests.verify(quote, trust: trust)
        #expect(verdict["verified"] as? Bool == true, "\(verdict)")
    }

    @Test func measurementRegistersHaveTheKernelsModesSizesAndErrno() throws {
        try Self.withDevices(provider: "tdx") { fs, devices, _ in
            let directory = devices + "/" + Self.measurements
            for name in ["rtmr0:sha384", "rtmr1:sha384", "rtmr2:sha384", "rtmr3:sha384"] {
                let info = try Sys.stat(directory + "/" + name)
                #expect(info.st_mode & 0o7777 == 0o644 && info.st_size == 48, "\(name)")
            }
            for name in ["mrtd:sha384", "mrconfigid", "mrowner", "mrownerconfig"] {
                let info = try Sys.stat(directory + "/" + name)
                #expect(info.st_mode & 0o7777 == 0o444 && info.st_size == 48, "\(name)")
                // kernfs refuses a write open of a read-only attribute, root included.
                #expect(throws: Errno.permissionDenied) { try Sys.open(directory + "/" + name, O_WRONLY) }
            }
            let device = try Sys.stat(devices + "/dev/tdx_guest")
            #expect(device.st_mode & 0o7777 == 0o600 && device.st_uid == 0)
            #expect(try Sys.readlink(devices + "/sys/class/misc/tdx_guest") == "../../devices/virtual/misc/tdx_guest")

            let rtmr = directory + "/rtmr1:sha384"
            let before = try Sys.readFile(rtmr)
            let fd = try Sys.open(rtmr, O_RDWR)
            defer { try? Sys.close(fd) }
            #expect(throws: Errno.invalidArgument) { try Sys.pwrite(fd, [UInt8](repeating: 1, count: 47), offset: 0) }
            #expect(throws: Errno.invalidArgument) { try Sys.pwrite(fd, [UInt8](repeating: 1, count: 47), offset: 1) }
            #expect(throws: Errno.fileTooLarge) { try Sys.pwrite(fd, [UInt8](repeating: 1, count: 48), offset: 48) }
            #expect(try Sys.readFile(rtmr) == before, "refused writes extend nothing")
            // One 96-byte write extends once, with the first 48 bytes, and is short.
            #expect(try Sys.pwrite(fd, [UInt8](repeating: 2, count: 48) + [UInt8](repeating: 3, count: 48), offset: 0) == 48)
            let extended = Array(SHA384.hash(data: before + [UInt8](repeating: 2, count: 48)))
            #expect(try Sys.readFile(rtmr) == extended)
            #expect(try Sys.pread(fd, count: 100, offset: 40) == Array(extended[40...]))
            #expect(try Sys.pread(fd, count: 10, offset: 48).isEmpty)

            // dd writes the same way a shell user would; the next quote carries it.
            let data = makeTemporaryDirectory("tsmfs-extend") + "/data"
            try Data(repeating: 9, count: 48).write(to: URL(fileURLWithPath: data))
            let dd = try shell("dd if=\(data) of=\(rtmr) bs=48 count=1 status=none")
            #expect(dd.status == 0, "\(dd.stderr)")
            let twice = Array(SHA384.hash(data: extended + [UInt8](repeating: 9, count: 48)))
            let quote = try TDXEvidenceTests.takeQuote(fs, nonce: [UInt8](repeating: 5, count: 64))
            #expect(Array(quote[0x30 + 0x148 + 48..<0x30 + 0x148 + 96]) == twice)
            let hexdump = try shell("hexdump -v -e '48/1 \"%02x\"' \(rtmr)")
            #expect(hexdump.stdout == TDXEvidenceTests.hex(twice))
        }
    }

    @Test func theTDXDeviceAnswersOnlyGetReport0AndHasNoReadOrWrite() throws {
        try Self.withDevices(provider: "tdx") { _, devices, _ in
            let fd = try Sys.open(devices + "/dev/tdx_guest", O_RDWR)
            defer { try? Sys.close(fd) }
            var request = [UInt8](repeating: 0x11, count: 64) + [UInt8](repeating: 0, count: 1024)
            func call(_ command: UInt, _ argument: UnsafeMutableRawPointer) -> Int32 {
                Glibc.ioctl(fd, command, argument) == 0 ? 0 : errno
            }
            #expect(request.withUnsafeMutableBytes { call(0xC440_5401, $0.baseAddress!) } == 0)
            #expect(request[64] == 0x81 && Array(request[64 + 128..<64 + 192]) == [UInt8](repeating: 0x11, count: 64))
            #expect(request.withUnsafeMutableBytes { call(0xC440_5402, $0.baseAddress!) } == ENOTTY)
            // The kernel's copy of the argument faults before the device sees anything.
            #expect(call(0xC440_5401, UnsafeMutableRawPointer(bitPattern: 8)!) == EFAULT)
            #expect(throws: Errno.invalidArgument) { try Sys.read(fd, count: 16) }
            #expect(throws: Errno.invalidArgument) { try Sys.write(fd, [1]) }
            #expect(lseek(fd, 0, SEEK_SET) == -1 && errno == ESPIPE)
        }
    }

    // MARK: SEV

    static func client(_ arguments: [String]) throws -> [String: Any] {
        try json(
            try run(TDXEvidenceTests.python, [TDXEvidenceTests.packageRoot + "/Tests/Verifiers/snp_device_client.py"] + arguments)
        )
    }

    @Test func snpDeviceClientNegotiatesAndGetsEvidenceOmneAttestAccepts() throws {
        try Self.withDevices(provider: "sev") { fs, devices, trust in
            let nonce = (0..<64).map { UInt8($0 ^ 0x5C) }
            let work = makeTemporaryDirectory("tsmfs-snp")
            let negotiation = try Self.client([
                devices + "/dev/sev-guest", "ext-report", TDXEvidenceTests.hex(nonce), "0", work + "/report", work + "/certs",
            ])
            #expect(negotiation["first_errno"] as? Int == Int(EIO), "\(negotiation)")
            #expect(negotiation["first_exitinfo2"] as? UInt64 == 1 << 32)
            let length = try #require(negotiation["certs_len"] as? Int)
            #expect(length > 0 && length % 4096 == 0 && length <= 16384)
            #expect(negotiation["second_errno"] as? Int == 0 && negotiation["status"] as? Int == 0)
            let report = Array(try Data(contentsOf: URL(fileURLWithPath: work + "/report")))
            let certificates = Array(try Data(contentsOf: URL(fileURLWithPath: work + "/certs")))
            let verdict = try SEVEvidenceTests.verify(report, certificates, trust: trust, nonce: nonce, maxVMPL: 0)
            #expect(verdict["verified"] as? Bool == true, "\(verdict)")
            // The configfs provider gives the same evidence for the same request.
            let (configfsReport, auxblob) = try SEVEvidenceTests.takeReport(fs, nonce: nonce)
            #expect(configfsReport == report)
            #expect(Array(certificates.prefix(auxblob.count)) == auxblob)
            #expect(certificates.dropFirst(auxblob.count).allSatisfy { $0 == 0 })
        }
    }

    @Test func hostileIoctlsGetTheDriversErrno() throws {
        try Self.withDevices(provider: "sev") { _, devices, _ in
            let results = try Self.client([devices + "/dev/sev-guest", "hostile"])
            let expected: [String: Int32] = [
                "null_argument": EFAULT, "unknown_command": ENOTTY, "message_version_zero": EINVAL, "null_request": EINVAL,
                "null_response": EINVAL, "garbage_request": EFAULT, "garbage_response": EFAULT, "kernel_request": EFAULT,
                "certs_unaligned": EINVAL, "certs_oversized": EINVAL, "certs_garbage_address": EFAULT,
                "certs_kernel_address": EFAULT,
                // A NULL buffer means "no certificates": the driver asks for the length, as with length 0.
                "certs_null_address": EIO,
            ]
            for (call, errno) in expected {
                #expect(results[call] as? Int == Int(errno), "\(call): \(results[call] ?? "missing")")
            }
            #expect(results["unknown_command_exitinfo2"] as? Int == 0xFF)
            #expect(results["derived_key_undefined_bits"] as? Int == 0x16)
        }
    }

    @Test func concurrentDeviceCallersFromManyProcessesGetTheirOwnReports() throws {
        try Self.withDevices(provider: "sev") { _, devices, _ in
            let work = makeTemporaryDirectory("tsmfs-snp")
            let script =
                (0..<8).map { process in
                    "(for i in 0 1 2 3 4; do n=$(printf '%02x%02x' \(process) $i); "
                        + "\(TDXEvidenceTests.python) \(TDXEvidenceTests.packageRoot)/Tests/Verifiers/snp_device_client.py "
                        + "\(devices)/dev/sev-guest report $(printf \"$n%.0s\" $(seq 32)) 0 \(work)/report-$n > \(work)/out-$n || exit 1; done) &"
                }.joined(separator: "\n") + "\nwait"
            let result = try shell(script)
            #expect(result.status == 0, "\(result.stderr)")
            for process in 0..<8 {
                for iteration in 0..<5 {
                    let tag = String(format: "%02x%02x", process, iteration)
                    let report = Array(try Data(contentsOf: URL(fileURLWithPath: "\(work)/report-\(tag)")))
                    let nonce = [UInt8](hex: String(repeating: tag, count: 32))!
                    #expect(report.count == 1184 && Array(report[0x50..<0x90]) == nonce, "caller \(tag) got another's report")
                }
            }
        }
    }

    @Test func derivedKeysAreStablePerChipAndDifferAcrossStateDirectories() throws {
        var keys: [String] = []
        for _ in 0..<2 {
            try Self.withDevices(provider: "sev") { _, devices, _ in
                let device = devices + "/dev/sev-guest"
                let first = try Self.client([device, "derived-key", "0", "0x9", "0", "0", "0"])
                let again = try Self.client([device, "derived-key", "0", "0x9", "0", "0", "0"])
                let otherVMPL = try Self.client([device, "derived-key", "0", "0x9", "1", "0", "0"])
                #expect(first["errno"] as? Int == 0 && first["status"] as? Int == 0)
                #expect(first["key"] as? String == again["key"] as? String)
                #expect(first["key"] as? String != otherVMPL["key"] as? String)
                keys.append(first["key"] as? String ?? "")
            }
        }
        #expect(keys[0] != keys[1], "two state directories are two chips")
    }

    @Test func execShowsTheSEVDeviceAtItsKernelPath() throws {
        let state = makeTemporaryDirectory("tsmfs-state")
        let result = try run(
            TSMFSBinary.path,
            [
                "exec", "--provider", "sev", "--state-dir", state, "--", "sh", "-ec",
                "stat -c '%a %u %s' /dev/sev-guest; test -c /dev/null; test ! -e /dev/tdx_guest; test -d /sys/kernel/config/tsm/report",
            ])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "600 0 0\n")
        #expect((try? Sys.stat("/dev/sev-guest")) == nil, "nothing reaches the host's /dev")
    }

    @Test func devicesNeedAProviderThatHasThem() throws {
        let devices = makeTemporaryDirectory("tsmfs-devices")
        let mountpoint = makeTemporaryDirectory()
        let result = try run(TSMFSBinary.path, ["mount", "--provider", "echo", "--devices", devices, mountpoint])
        #expect(result.status == 1)
        #expect(result.stderr.contains("--devices needs --provider tdx or --provider sev"), "\(result.stderr)")
    }
}
