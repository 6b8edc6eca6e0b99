import SystemPackage

extension Errno {
    /// The errno values a provider may be told to fail with, by their C names.
    public static let reportErrorsByName: [String: Errno] = [
        "EINVAL": .invalidArgument, "EIO": .ioError, "EBUSY": .resourceBusy,
        "EFBIG": .fileTooLarge, "ETIMEDOUT": .timedOut, "EINTR": .interrupted,
        "ENOTTY": .inappropriateIOCTLForDevice, "ENXIO": .noSuchAddressOrDevice,
        "ENOMEM": .noMemory, "EBADMSG": .badMessage, "EAGAIN": .resourceTemporarilyUnavailable,
        "EPERM": .notPermitted, "EACCES": .permissionDenied,
    ]

    /// Parses an errno name such as `EIO`; `nil` for names providers cannot return.
    public init?(reportErrorName name: String) {
        guard let value = Errno.reportErrorsByName[name.uppercased()] else { return nil }
        self = value
    }
}
