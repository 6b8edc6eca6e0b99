/// A TEE backend: the user-space counterpart of the kernel's `struct tsm_report_ops`.
///
/// A filesystem instance has at most one provider, as the kernel has. The core calls
/// `generateReport` with the entry's lock held, so calls for one entry never overlap, but
/// calls for different entries may run concurrently: implementations must be thread-safe.
/// Providers are classes: the tree hands one provider to every entry and request, and a class
/// existential is copied with one retain where a value existential takes a call per copy.
public protocol ReportProvider: AnyObject, Sendable {
    /// What the `provider` attribute reads, without the newline (`tdx_guest`, `sev_guest`).
    var name: String { get }

    /// The lowest `privlevel` accepted (`privlevel_floor`).
    var privlevelFloor: UInt32 { get }

    /// Whether an attribute file exists in entries created while this provider is active
    /// (the kernel's `report_attr_visible` / `report_bin_attr_visible`). The kernel asks at every
    /// mkdir and its providers always answer the same; the tree asks once, when the provider is
    /// registered, so the answer must depend on the provider alone.
    func isVisible(_ attribute: ReportAttribute) -> Bool

    /// Produces the blobs for `request`; throws the errno the client should see.
    func generateReport(for request: ReportRequest) throws(ProviderError) -> GeneratedReport

    /// Whether a report is a pure function of its request (serial included): the same request
    /// always gives the same bytes. Only then may the filesystem drop a cached report when the
    /// cache is over its cap and rebuild it on the next read, because the kernel keeps one report
    /// per generation and a client must never see two. Otherwise cached reports are kept.
    var rebuildsReportsExactly: Bool { get }

    /// Platform state a report depends on beyond its request (TDX: the RTMRs, which guests
    /// extend), captured when a generation starts and handed back in ``ReportRequest/platformState``,
    /// so that a report rebuilt later still shows the state of its own generation.
    func capturePlatformState() -> (any PlatformSnapshot)?
}

extension ReportProvider {
    /// A provider that does not say otherwise may put randomness in its reports.
    public var rebuildsReportsExactly: Bool { false }

    /// Most providers' reports depend on nothing that changes while they serve.
    public func capturePlatformState() -> (any PlatformSnapshot)? { nil }

    /// Providers without visibility rules show every attribute, like the kernel with NULL callbacks.
    public func isVisible(_ attribute: ReportAttribute) -> Bool { true }
}
