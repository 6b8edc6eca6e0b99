import CFuse3
import FileTree
import Foundation
import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// Why a mount could not be set up, in words for the person running `tsmfs mount`.
public struct MountError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// A libfuse low-level session serving a ``FileTree`` (the configfs root, or the devices and
/// sysfs files) at a mountpoint.
///
/// Lifecycle: `init` (creates the session), ``mount(at:)``, ``run()`` (blocks in the
/// multi-threaded loop until SIGINT/SIGTERM/SIGHUP or an external unmount), then the
/// session unmounts and is destroyed. A second session of the same daemon serves with
/// ``serveInBackground()`` and ends with the first (``abandon()``).
public final class FUSEMount: @unchecked Sendable {
    /// Keeps the dispatcher alive as long as libfuse may call it.
    private let dispatcher: AnyObject
    private let options: MountOptions
    private let logger: Logger
    private var session: OpaquePointer?
    private var mountpoint: String?
    /// The device of this session's mount, so that unmounting never detaches another's.
    private var mountDevice: String?

    public convenience init(tree: any FileTree, options: MountOptions, logger: Logger) throws(MountError) {
        let dispatcher = RequestDispatcher(tree: tree, timeouts: options.timeouts, logger: logger)
        try self.init(dispatcher: dispatcher, operations: LowLevelOperations.table(), options: options, logger: logger)
    }

    private init(dispatcher: AnyObject, operations: fuse_lowlevel_ops, options: MountOptions, logger: Logger) throws(MountError) {
        self.dispatcher = dispatcher
        self.options = options
        self.logger = logger
        LibfuseLog.install(logger)

        let optionList = (options.fixedOptions + options.fuseOptions).joined(separator: ",")
        let arguments = ["tsmfs", "-o", optionList]
        var argv = arguments.map { strdup($0) }
        defer { for argument in argv { free(argument) } }
        var args = fuse_args(argc: Int32(argv.count), argv: nil, allocated: 0)
        var operations = operations
        let userdata = Unmanaged.passUnretained(dispatcher).toOpaque()
        session = argv.withUnsafeMutableBufferPointer { pointers in
            args.argv = pointers.baseAddress
            return fuse_session_new(&args, &operations, MemoryLayout<fuse_lowlevel_ops>.size, userdata)
        }
        fuse_opt_free_args(&args)
        guard session != nil else {
            throw MountError(
                "libfuse rejected the mount options '\(optionList)': "
                    + (LibfuseLog.takeLastError() ?? "see --verbose output"))
        }
    }

    /// Mounts the session; when this returns the filesystem is visible at `path`.
    public func mount(at path: String) throws(MountError) {
        guard let session else { throw MountError("the session was already closed") }
        guard fuse_session_mount(session, path) == 0 else {
            throw MountError("cannot mount at \(path): " + (LibfuseLog.takeLastError() ?? "mount failed"))
        }
        mountpoint = path
        mountDevice = MountIdentity.device(at: path)
    }

    /// libfuse unmounts by path: when this mount was already detached (tsmfs unmount --lazy) and
    /// another mounted at the same path since, that would detach the newcomer. Only a path that
    /// still shows this session's own device is unmounted.
    private func unmountIfStillOurs() {
        guard let session, let mountpoint else { return }
        // Unknown (mountinfo unreadable at mount time): unmount as libfuse would.
        if mountDevice == nil || MountIdentity.device(at: mountpoint) == mountDevice {
            fuse_session_unmount(session)
        } else {
            logger.info(
                "not unmounting: the mount at this path is no longer this daemon's", metadata: ["mountpoint": "\(mountpoint)"])
        }
    }

    /// Serves requests until a termination signal or an unmount, then unmounts.
    /// Returns 0 after a clean shutdown.
    @discardableResult
    public func run() -> Int32 {
        guard let session else { return 1 }
        Self.restoreTerminationSignals()
        fuse_set_signal_handlers(session)
        let config = fuse_loop_cfg_create()
        fuse_loop_cfg_set_clone_fd(config, 1)
        fuse_loop_cfg_set_max_threads(config, UInt32(options.maxThreads))
        let status = tsmfs_fuse_session_loop_mt(session, config)
        fuse_loop_cfg_destroy(config)
        fuse_remove_signal_handlers(session)
        logger.info("shutting down", metadata: ["mountpoint": "\(mountpoint ?? "-")"])
        close()
        // libfuse reports the terminating signal as the loop's status; that is a clean stop.
        return status < 0 ? 1 : 0
    }

    /// Answers whether the session is stopping (a termination signal arrived, or it was unmounted),
    /// from any thread: for work that should not hold the daemon up once it is.
    public var stoppingProbe: @Sendable () -> Bool {
        guard let session else { return { true } }
        // libfuse reads and sets the flag with plain stores; a late answer only delays by one probe.
        nonisolated(unsafe) let probed = session
        return { fuse_session_exited(probed) != 0 }
    }

    /// Serves on a thread of its own, without signal handlers: for a second session whose life
    /// follows the main one's.
    public func serveInBackground() {
        // libfuse sessions are thread-safe; the pointer is only handed to the loop.
        guard let session else { return }
        nonisolated(unsafe) let loopSession = session
        let maxThreads = UInt32(options.maxThreads)
        let thread = Thread {
            let config = fuse_loop_cfg_create()
            fuse_loop_cfg_set_clone_fd(config, 1)
            fuse_loop_cfg_set_max_threads(config, maxThreads)
            _ = tsmfs_fuse_session_loop_mt(loopSession, config)
            fuse_loop_cfg_destroy(config)
        }
        thread.start()
    }

    /// Unmounts a background session when the daemon stops. Its loop may still be waiting for a
    /// request (bind mounts elsewhere keep the connection open), so the session is left to the
    /// process's exit instead of being destroyed under it.
    public func abandon() {
        guard let session, mountpoint != nil else { return }
        fuse_session_exit(session)
        unmountIfStillOurs()
        mountpoint = nil
        self.session = nil
    }

    /// The signals that stop the daemon cleanly.
    static let terminationSignals = [SIGINT, SIGTERM, SIGHUP]

    /// libfuse installs its handlers only over the default disposition, and a blocked signal
    /// never arrives; a daemon started from a background job or a test runner may inherit
    /// either. Reset both so SIGINT/SIGTERM/SIGHUP always unmount cleanly.
    private static func restoreTerminationSignals() {
        var mask = sigset_t()
        sigemptyset(&mask)
        for signal in terminationSignals {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = SIG_DFL
            sigemptyset(&action.sa_mask)
            sigaction(signal, &action, nil)
            sigaddset(&mask, signal)
        }
        pthread_sigmask(SIG_UNBLOCK, &mask, nil)
    }

    /// Unmounts (if mounted) and frees the session.
    public func close() {
        guard let session else { return }
        unmountIfStillOurs()
        fuse_session_destroy(session)
        self.session = nil
        mountpoint = nil
    }

    deinit { close() }
}
