import Crypto
import Foundation
import SigningKeys
import SystemPackage
import _CryptoExtras

/// Where a simulated root of trust keeps its private keys and certificates.
///
/// Keys are created on first use and reused afterwards, so a verifier configured once keeps
/// working across restarts. Files are written atomically (temporary file, fsync, rename) with
/// mode 0600, and a key file readable by group or others is refused rather than used. With a
/// seed, keys are derived from it instead (HKDF-SHA256, one label per key) and never stored,
/// which makes them identical on every machine.
public struct KeyStore: Sendable {
    public let directory: String
    public let seed: [UInt8]?

    public init(directory: String, seed: [UInt8]? = nil) {
        self.directory = directory
        self.seed = seed
    }

    /// The signing key called `name`, created if missing. Seeded keys sign deterministically
    /// (RFC 6979), so everything they sign is reproducible too.
    public func signingKey(_ name: String) throws(PKIError) -> SigningKey {
        if let seed {
            return SigningKey(Self.derivedP256Key(seed: seed, label: name), deterministic: true)
        }
        return SigningKey(try storedP256Key(name))
    }

    private func storedP256Key(_ name: String) throws(PKIError) -> P256.Signing.PrivateKey {
        try stored(
            name, kind: "P-256", parse: { try P256.Signing.PrivateKey(pemRepresentation: $0) },
            create: { P256.Signing.PrivateKey() }, pem: { $0.pemRepresentation })
    }

    /// The P-384 key called `name` (seeded: derived, never stored).
    public func p384Key(_ name: String) throws(PKIError) -> P384.Signing.PrivateKey {
        if let seed {
            let material = HKDF<SHA384>.deriveKey(
                inputKeyMaterial: SymmetricKey(data: seed),
                salt: Array("tsmfs simulated root of trust".utf8),
                info: Array(name.utf8), outputByteCount: 48)
            if let key = try? material.withUnsafeBytes({ try P384.Signing.PrivateKey(rawRepresentation: $0) }) { return key }
        }
        return try stored(
            name, kind: "P-384", parse: { try P384.Signing.PrivateKey(pemRepresentation: $0) },
            create: { P384.Signing.PrivateKey() }, pem: { $0.pemRepresentation })
    }

    /// The RSA-4096 key called `name`. RSA keys cannot be derived from a seed, so they are
    /// always created once and stored, seed or not.
    public func rsaKey(_ name: String) throws(PKIError) -> _RSA.Signing.PrivateKey {
        try stored(
            name, kind: "RSA", parse: { try _RSA.Signing.PrivateKey(pemRepresentation: $0) },
            create: { try _RSA.Signing.PrivateKey(keySize: .bits4096) }, pem: { $0.pemRepresentation })
    }

    /// Loads `<name>.key`, or creates and stores it (0600).
    private func stored<Key>(
        _ name: String, kind: String, parse: (String) throws -> Key, create: () throws -> Key,
        pem: (Key) -> String
    ) throws(PKIError) -> Key {
        let path = "\(directory)/\(name).key"
        try checkDirectoriesAreTrusted()
        if let text = try readText(path, secret: true) {
            do {
                return try parse(text)
            } catch {
                throw PKIError("\(path) is not a \(kind) private key in PEM (\(error)); move it away to create a new one")
            }
        }
        let key: Key
        do { key = try create() } catch { throw PKIError("cannot create the \(kind) key \(name): \(error)") }
        try writeAtomically(path, Array(pem(key).utf8), permissions: 0o600)
        return key
    }

    /// Derives a key deterministically; the scalar is retried with a counter in the
    /// (negligible) case that it is out of range.
    static func derivedP256Key(seed: [UInt8], label: String) -> P256.Signing.PrivateKey {
        for counter in 0..<UInt8.max {
            let material = HKDF<SHA256>.deriveKey(
                inputKeyMaterial: SymmetricKey(data: seed),
                salt: Array("tsmfs simulated root of trust".utf8),
                info: Array("\(label)/\(counter)".utf8), outputByteCount: 32)
            if let key = try? material.withUnsafeBytes({ try P256.Signing.PrivateKey(rawRepresentation: $0) }) {
                return key
            }
        }
        fatalError("HKDF produced 255 out-of-range P-256 scalars")
    }

    /// Refuses a key directory (or the state directory holding it) that another user could
    /// write to, as ssh refuses such a ~/.ssh: whoever can replace a key controls the root of trust.
    private func checkDirectoriesAreTrusted() throws(PKIError) {
        let parent = (directory as NSString).deletingLastPathComponent
        for path in [directory, parent] where !path.isEmpty {
            var info = stat()
            guard stat(path, &info) == 0 else { continue }  // created 0700 on first write
            if info.st_mode & 0o022 != 0 && info.st_mode & S_ISVTX == 0 {
                throw PKIError(
                    "\(path) is writable by other users (mode \(String(info.st_mode & 0o7777, radix: 8))), "
                        + "so they could replace the simulated keys: chmod go-w \(path)")
            }
            if info.st_uid != geteuid() && info.st_uid != 0 {
                throw PKIError(
                    "\(path) belongs to uid \(info.st_uid), not to the user running tsmfs "
                        + "(uid \(geteuid())): use your own --state-dir, or chown -R \(geteuid()) \(path)")
            }
        }
    }

    /// Reads a text file, or `nil` if it does not exist. Secrets must not be readable by others.
    public func readText(_ path: String, secret: Bool = false) throws(PKIError) -> String? {
        let descriptor: FileDescriptor
        do {
            descriptor = try FileDescriptor.open(FilePath(path), .readOnly)
        } catch Errno.noSuchFileOrDirectory {
            return nil
        } catch {
            throw PKIError("cannot read \(path): \(error)")
        }
        defer { try? descriptor.close() }
        var info = stat()
        if secret, fstat(descriptor.rawValue, &info) == 0 {
            if info.st_mode & 0o077 != 0 {
                throw PKIError(
                    "\(path) is readable by other users (mode \(String(info.st_mode & 0o777, radix: 8))); "
                        + "a private key must be 0600: chmod 600 \(path)")
            }
            if info.st_uid != geteuid() {
                throw PKIError(
                    "\(path) belongs to uid \(info.st_uid), not to the user running tsmfs (uid \(geteuid())); "
                        + "a private key must be the user's own: chown \(geteuid()) \(path), or move it away to create a new one")
            }
        }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 8192)
        while true {
            let count: Int
            do {
                count = try chunk.withUnsafeMutableBytes { try descriptor.read(into: $0) }
            } catch {
                throw PKIError("cannot read \(path): \(error)")
            }
            if count == 0 { break }
            bytes += chunk[..<count]
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Writes `bytes` to `path` so that readers see either the old file or the whole new one, and
    /// never through a symbolic link: the directory is opened without following one, the temporary
    /// file is created there exclusively under an unpredictable name (O_EXCL | O_NOFOLLOW), and the
    /// rename replaces whatever entry `path` names (a planted symlink included) instead of its target.
    public func writeAtomically(_ path: String, _ bytes: [UInt8], permissions: UInt32 = 0o644) throws(PKIError) {
        let directoryPath = (path as NSString).deletingLastPathComponent
        let name = (path as NSString).lastPathComponent
        do {
            try FileManager.default.createDirectory(
                atPath: directoryPath, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw PKIError("cannot create the directory of \(path): \(error.localizedDescription)")
        }
        let directory = open(directoryPath, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard directory >= 0 else {
            let reason =
                errno == ELOOP || errno == ENOTDIR
                ? "it is a symbolic link: name the directory itself" : "\(Errno(rawValue: errno))"
            throw PKIError("cannot write into \(directoryPath): \(reason)")
        }
        defer { close(directory) }
        var temporary = ""
        var descriptor: Int32 = -1
        for _ in 0..<16 where descriptor < 0 {
            temporary = ".\(name).tmp-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
            descriptor = openat(
                directory, temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode_t(permissions))
            guard descriptor >= 0 || errno == EEXIST else { break }
        }
        guard descriptor >= 0 else {
            throw PKIError("cannot create a temporary file in \(directoryPath): \(Errno(rawValue: errno))")
        }
        do {
            _ = try FileDescriptor(rawValue: descriptor).closeAfter {
                try FileDescriptor(rawValue: descriptor).writeAll(bytes)
                guard fsync(descriptor) == 0 else { throw Errno(rawValue: errno) }
            }
            guard renameat(directory, temporary, directory, name) == 0 else { throw Errno(rawValue: errno) }
        } catch {
            unlinkat(directory, temporary, 0)
            throw PKIError("cannot write \(path): \(error)")
        }
    }

    /// Refuses an export directory (`--out`) that another user owns or could write to: they could
    /// swap the files root writes, or plant links for it to write through.
    public static func checkExportDirectory(_ path: String) throws(PKIError) {
        var info = stat()
        guard lstat(path, &info) == 0 else { return }  // created 0700 on first write
        if info.st_mode & S_IFMT == S_IFLNK {
            throw PKIError("\(path) is a symbolic link: name the directory itself")
        }
        if info.st_uid != geteuid() && info.st_uid != 0 {
            throw PKIError(
                "\(path) belongs to uid \(info.st_uid), not to the user running tsmfs (uid \(geteuid())), who could "
                    + "replace what is written there: export into a directory of your own (mkdir -m 755 DIR)")
        }
        if info.st_mode & 0o022 != 0 {
            throw PKIError(
                "\(path) is writable by other users (mode \(String(info.st_mode & 0o7777, radix: 8))), who could replace "
                    + "what is written there: chmod go-w \(path), or export into a directory of your own")
        }
    }
}

/// A problem with the simulated PKI's files or material, worded for the operator.
public struct PKIError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
