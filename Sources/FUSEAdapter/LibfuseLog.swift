import CFuse3
import Logging
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Routes libfuse's own messages (`fuse: …`) into swift-log and keeps the last error, so a
/// failed mount can be explained in one line instead of libfuse writing to stderr itself.
/// libfuse sometimes emits one message in several fragments; they are joined into lines.
enum LibfuseLog {
    private struct State {
        var logger: Logger?
        var pending = ""
        var pendingIsError = false
        var lastError: String?
    }

    private static let state = Mutex(State())

    static func install(_ logger: Logger) {
        state.withLock { $0 = State(logger: logger) }
        fuse_set_log_func { level, format, arguments in
            guard let format, let arguments else { return }
            var buffer = [CChar](repeating: 0, count: 1024)
            _ = vsnprintf(&buffer, buffer.count, format, arguments)
            LibfuseLog.record(level, buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) })
        }
    }

    private static func record(_ level: fuse_log_level, _ fragment: String) {
        let isError = level.rawValue <= FUSE_LOG_ERR.rawValue
        let (logger, line) = state.withLock { state -> (Logger?, String?) in
            state.pending += fragment
            state.pendingIsError = state.pendingIsError || isError
            guard fragment.hasSuffix("\n") else { return (state.logger, nil) }
            let line = String(state.pending.dropLast())
            if state.pendingIsError { state.lastError = line }
            state.pending = ""
            state.pendingIsError = false
            return (state.logger, line)
        }
        if let line { logger?.log(level: isError ? .error : .debug, "libfuse: \(line)") }
    }

    /// The last error libfuse reported (or the fragment it is still writing), consumed by the caller.
    static func takeLastError() -> String? {
        state.withLock { state in
            defer {
                state.lastError = nil
                state.pending = ""
            }
            return state.lastError ?? (state.pending.isEmpty ? nil : state.pending)
        }
    }
}
