import Logging
import SystemPackage

/// Each request and its outcome at trace level (`--verbose`), free when not tracing, and the
/// error reply that goes with a failure: shared by the dispatchers.
struct RequestLog: Sendable {
    let logger: Logger
    private let tracing: Bool

    init(_ logger: Logger) {
        self.logger = logger
        self.tracing = logger.logLevel <= .trace
    }

    func trace(_ request: @autoclosure () -> String, _ outcome: @autoclosure () -> String) {
        guard tracing else { return }
        logger.trace("\(request()) -> \(outcome())")
    }

    /// Replies `errno` and logs it.
    func fail(_ reply: some FUSEReply, _ request: @autoclosure () -> String, _ errno: Errno) {
        trace(request(), "error \(errno.rawValue) (\(errno))")
        reply.error(errno.rawValue)
    }
}
