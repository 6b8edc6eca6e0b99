import ByteLayout
import Crypto

/// A TD's boot as TDVF, GRUB and Linux measure it into RTMR0–2, described by the digests of what
/// was loaded and the kernel command line. ``events`` lays it out in the order and with the event
/// types a real boot writes: firmware configuration and Secure Boot variables in RTMR0, the boot
/// loader in RTMR1, GRUB's commands, the kernel, its command line and the initrd in RTMR2 (the
/// entries go-tdx-guest's replay needs), then ExitBootServices in RTMR1.
public struct MeasuredBoot: Sendable, Equatable {
    /// SHA-384 of the TD HOB list TDVF hands over.
    public var tdHOB: [UInt8]
    /// SHA-384 of the configuration firmware volume (the variable store).
    public var configurationVolume: [UInt8]
    /// The boot loader's PE/COFF Authenticode digest (SHA-384).
    public var bootLoader: [UInt8]
    /// SHA-384 of the kernel file and of the initrd file, as GRUB measures them.
    public var kernel: [UInt8]
    public var initrd: [UInt8]
    public var kernelPath: String
    public var initrdPath: String
    public var commandLine: String
    /// Whether the kernel's EFI stub logs its LoadOptions and initrd into RTMR2 (Linux 6.9 and later).
    public var stubMeasures: Bool

    public init(
        tdHOB: [UInt8] = MeasuredBoot.simulatedDigest("TD HOB"),
        configurationVolume: [UInt8] = MeasuredBoot.simulatedDigest("configuration firmware volume"),
        bootLoader: [UInt8] = MeasuredBoot.simulatedDigest("boot loader"),
        kernel: [UInt8] = MeasuredBoot.simulatedDigest("kernel"), initrd: [UInt8] = MeasuredBoot.simulatedDigest("initrd"),
        kernelPath: String = "/boot/vmlinuz", initrdPath: String = "/boot/initrd.img",
        commandLine: String = "root=/dev/vda1 ro console=hvc0", stubMeasures: Bool = true
    ) {
        self.tdHOB = tdHOB
        self.configurationVolume = configurationVolume
        self.bootLoader = bootLoader
        self.kernel = kernel
        self.initrd = initrd
        self.kernelPath = kernelPath
        self.initrdPath = initrdPath
        self.commandLine = commandLine
        self.stubMeasures = stubMeasures
    }

    /// The default digest of a component nobody described: SHA-384 of a label that says it is simulated.
    public static func simulatedDigest(_ component: String) -> [UInt8] {
        Array(SHA384.hash(data: Array("tsmfs simulated \(component)".utf8)))
    }

    /// The TCG tag IDs of the Linux EFI stub's events (`efistub.h`).
    static let loadOptionsTag: UInt32 = 0x8F3B_22ED
    static let initrdTag: UInt32 = 0x8F3B_22EC

    public var events: [LoggedEvent] {
        firmwareConfiguration + bootSelection + bootLoaderCommands + exitBootServices
    }

    /// RTMR0: the TD HOB, the configuration volume, the Secure Boot variables (Secure Boot off, no
    /// keys enrolled), the separator, the boot variables.
    private var firmwareConfiguration: [LoggedEvent] {
        let rtmr0 = MeasurementIndex.rtmr0
        let global = UEFIEventData.globalVariable
        let database = UEFIEventData.imageSecurityDatabase
        let secureBoot: [(guid: [UInt8], name: String, data: [UInt8])] = [
            (global, "SecureBoot", [0]), (global, "PK", []), (global, "KEK", []), (database, "db", []), (database, "dbx", []),
        ]
        let bootOrder: [UInt8] = [0, 0]
        let bootEntry = UEFIEventData.loadOption(
            description: "UEFI Misc Device", devicePath: UEFIEventData.filePath("\\EFI\\BOOT\\BOOTX64.EFI"))
        return [
            LoggedEvent(
                index: rtmr0, type: .efiHandoffTables2, digest: tdHOB,
                data: UEFIEventData.handoffTables(
                    description: "TdxTable", tables: [(UEFIEventData.ovmfTokenSpace, 0x0080_9000)])),
            LoggedEvent(
                index: rtmr0, type: .efiPlatformFirmwareBlob2, digest: configurationVolume,
                data: UEFIEventData.firmwareBlob(
                    description: "Fv(48DB5E17-707C-472D-91CD-1613E7EF51B0)", base: 0xFFE0_0000, length: 0x20000)),
        ]
            + secureBoot.map {
                LoggedEvent(
                    index: rtmr0, type: .efiVariableDriverConfig,
                    measuringItsData: UEFIEventData.variable($0.guid, name: $0.name, data: $0.data))
            }
            + [
                LoggedEvent(index: rtmr0, type: .separator, measuringItsData: [0, 0, 0, 0]),
                // Boot variables are measured by their data alone.
                LoggedEvent(
                    index: rtmr0, type: .efiVariableBoot, digest: Array(SHA384.hash(data: bootOrder)),
                    data: UEFIEventData.variable(global, name: "BootOrder", data: bootOrder)),
                LoggedEvent(
                    index: rtmr0, type: .efiVariableBoot, digest: Array(SHA384.hash(data: bootEntry)),
                    data: UEFIEventData.variable(global, name: "Boot0000", data: bootEntry)),
            ]
    }

    /// RTMR1: the boot option is called, the separator, the boot loader is loaded.
    private var bootSelection: [LoggedEvent] {
        let rtmr1 = MeasurementIndex.rtmr1
        return [
            LoggedEvent(index: rtmr1, type: .efiAction, measuringItsData: Array("Calling EFI Application from Boot Option".utf8)),
            LoggedEvent(index: rtmr1, type: .separator, measuringItsData: [0, 0, 0, 0]),
            LoggedEvent(
                index: rtmr1, type: .efiBootServicesApplication, digest: bootLoader,
                data: UEFIEventData.imageLoad(
                    location: 0x7E3A_6018, length: 0x1A_0000, devicePath: UEFIEventData.filePath("\\EFI\\BOOT\\BOOTX64.EFI"))),
        ]
    }

    /// RTMR2: GRUB logs each command (digest: the text after its prefix), each file it loads (digest:
    /// the file), and the kernel command line; the kernel's EFI stub logs its LoadOptions and initrd.
    private var bootLoaderCommands: [LoggedEvent] {
        let rtmr2 = MeasurementIndex.rtmr2
        func grub(_ prefix: String, _ text: String) -> LoggedEvent {
            LoggedEvent(
                index: rtmr2, type: .ipl, digest: Array(SHA384.hash(data: Array(text.utf8))),
                data: Array((prefix + text).utf8) + [0])
        }
        func file(_ path: String, _ digest: [UInt8]) -> LoggedEvent {
            LoggedEvent(index: rtmr2, type: .ipl, digest: digest, data: Array(path.utf8) + [0])
        }
        let linux = "\(kernelPath) \(commandLine)"
        var events = [
            grub("grub_cmd: ", "linux \(linux)"), file(kernelPath, kernel), grub("kernel_cmdline: ", linux),
            grub("grub_cmd: ", "initrd \(initrdPath)"), file(initrdPath, initrd),
        ]
        if stubMeasures {
            var loadOptions: [UInt8] = []
            for unit in linux.utf16 + [0] { loadOptions.appendLittleEndian(unit) }
            events += [
                LoggedEvent(
                    index: rtmr2, type: .eventTag, digest: Array(SHA384.hash(data: loadOptions)),
                    data: UEFIEventData.taggedEvent(
                        tag: Self.loadOptionsTag, data: Array("LOADED_IMAGE::LoadOptions".utf8) + [0])),
                LoggedEvent(
                    index: rtmr2, type: .eventTag, digest: initrd,
                    data: UEFIEventData.taggedEvent(tag: Self.initrdTag, data: Array("Linux initrd".utf8) + [0])),
            ]
        }
        return events
    }

    private var exitBootServices: [LoggedEvent] {
        ["Exit Boot Services Invocation", "Exit Boot Services Returned with Success"].map {
            LoggedEvent(index: MeasurementIndex.rtmr1, type: .efiAction, measuringItsData: Array($0.utf8))
        }
    }
}
