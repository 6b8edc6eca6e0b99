import SystemPackage

/// A failed report generation, carrying the errno the first read(2) of a blob returns.
public struct ProviderError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What read(2) returns to the client.
    public var errno: Errno
    /// Why, for the daemon's log (clients only ever see the errno, as with the kernel).
    public var reason: String

    public init(_ errno: Errno, _ reason: String) {
        self.errno = errno
        self.reason = reason
    }

    public var description: String { "\(reason) (\(errno))" }
}
