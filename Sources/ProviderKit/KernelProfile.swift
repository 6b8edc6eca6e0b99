/// The guest attestation ABI of one Linux version: which surfaces exist and how they behave.
/// Each capability names the release that brought it (the merge commits are in
/// docs/kernel-profiles.md); tsmfs serves the newest by default.
public struct KernelProfile: Sendable, Equatable, Comparable, CustomStringConvertible {
    public let major: Int
    public let minor: Int

    /// The versions a profile can name: from 6.6 (the oldest longterm kernel with /dev/tdx_guest
    /// and the CCEL log) to the newest.
    public static let supported: [KernelProfile] =
        (6...19).map { KernelProfile(major: 6, minor: $0) } + [
            KernelProfile(major: 7, minor: 0), KernelProfile(major: 7, minor: 1),
        ]

    public static let newest = supported.last!

    private init(major: Int, minor: Int) {
        self.major = major
        self.minor = minor
    }

    /// `"6.11"`; nil for anything but a supported version.
    public init?(_ text: String) {
        guard let profile = Self.supported.first(where: { $0.description == text }) else { return nil }
        self = profile
    }

    public var description: String { "\(major).\(minor)" }

    /// What a setting or option naming a version must look like, for messages.
    public static let expectation = "a Linux version from 6.6 to 6.19, 7.0 or 7.1, as \"X.Y\""

    public static func < (lhs: KernelProfile, rhs: KernelProfile) -> Bool {
        (lhs.major, lhs.minor) < (rhs.major, rhs.minor)
    }

    private func since(_ major: Int, _ minor: Int) -> Bool { self >= KernelProfile(major: major, minor: minor) }

    /// configfs-tsm's `tsm/report/` (6.7). Before it, only the vendor devices reach the TEE.
    public var hasConfigfsTSM: Bool { since(6, 7) }
    /// The Linux EFI stub measures its command line and initrd into RTMR2 when there is no TPM (6.9).
    public var stubMeasuresBoot: Bool { since(6, 9) }
    /// The SVSM attributes (`service_provider`, `service_guid`, `service_manifest_version`,
    /// `manifestblob`) and per-provider attribute visibility (6.11). Before it every entry shows the
    /// seven original attributes whatever the provider.
    public var hasAttributeVisibility: Bool { since(6, 11) }
    /// The `arm_cca_guest` provider (6.13).
    public var hasArmCCAProvider: Bool { since(6, 13) }
    /// tsm-mr: the TDX measurement registers in sysfs (6.16).
    public var hasMeasurementRegisters: Bool { since(6, 16) }
    /// `TSM_REPORT_OUTBLOB_MAX`: 32 KiB until 7.0 raised it to 16 MiB.
    public var outblobMax: Int { since(7, 0) ? 16 << 20 : 32 << 10 }
    /// A TDX quote the host failed to produce reads as EIO (7.1); before, as an empty outblob.
    public var quoteFailureIsError: Bool { since(7, 1) }

    /// The attributes of configfs-tsm's first release, which every entry showed until 6.11.
    static let originalAttributes: [ReportAttribute] = [
        .inblob, .outblob, .auxblob, .provider, .generation, .privlevel, .privlevelFloor,
    ]

    /// Whether an entry of `provider` shows `attribute` on this kernel.
    public func shows(_ attribute: ReportAttribute, of provider: any ReportProvider) -> Bool {
        hasAttributeVisibility ? provider.isVisible(attribute) : Self.originalAttributes.contains(attribute)
    }
}
