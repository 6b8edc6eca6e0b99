import ProviderKit

/// Where the core reports what clients cannot see (they only get an errno), so the
/// daemon can log it. The core itself does no logging.
public struct Diagnostics: Sendable {
    /// Called when a provider fails to generate a report for the named entry.
    public var generationFailed: @Sendable (_ entry: String, _ error: ProviderError) -> Void

    public init(generationFailed: @escaping @Sendable (String, ProviderError) -> Void = { _, _ in }) {
        self.generationFailed = generationFailed
    }
}
