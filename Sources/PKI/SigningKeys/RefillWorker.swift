import Foundation
import Synchronization

/// The one background thread per process that refills presignature stocks, one batch at a time.
///
/// A thread that stays, rather than one started per batch: starting and ending a thread (its
/// stack mapped and faulted in, then unmapped) cost the daemon more CPU than a batch saved on each
/// nonce. Not a dispatch queue: libdispatch refuses to run in a forked child, and this starts a
/// new thread when it finds itself in a process other than the one its thread belongs to.
enum RefillWorker {
    private struct State {
        /// The process whose thread is waiting for work; a forked child has none yet.
        var process: pid_t = 0
        var pending: [Presignatures] = []
    }

    private static let state = Mutex(State())
    private static let wakeUp = NSCondition()

    /// Queues a refill of `stock`; the caller makes sure one stock is queued at most once at a time.
    static func enqueue(_ stock: Presignatures) {
        let process = getpid()
        let startThread = state.withLock { state -> Bool in
            let start = state.process != process
            if start { state = State(process: process) }
            state.pending.append(stock)
            return start
        }
        if startThread { Thread.detachNewThread { serve() } }
        wakeUp.lock()
        wakeUp.signal()
        wakeUp.unlock()
    }

    private static func serve() {
        while true {
            wakeUp.lock()
            var next = state.withLock { $0.pending.popLast() }
            while next == nil {
                wakeUp.wait()
                next = state.withLock { $0.pending.popLast() }
            }
            wakeUp.unlock()
            next?.refill()
        }
    }
}
