import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Where this run's temporary directories live: one directory under /tmp, removed when the test
/// process exits, so repeated runs leave nothing behind. World-searchable (0755), as tests running
/// clients as other users must reach mountpoints inside it.
public let testRunDirectory: String = {
    var template = Array("/tmp/tsmfs-tests-XXXXXX".utf8CString)
    let path = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
    chmod(path, 0o755)
    atexit { removeTestRunDirectory() }
    return path
}()

/// Every mount a test made is gone by now (each is unmounted when its test ends); a directory
/// that still holds a mount is left alone rather than walked into.
private func removeTestRunDirectory() {
    let mounts = (try? String(contentsOfFile: "/proc/self/mounts", encoding: .utf8)) ?? ""
    guard !mounts.contains(" \(testRunDirectory)/") else { return }
    try? FileManager.default.removeItem(atPath: testRunDirectory)
}

/// A fresh, empty directory for this test run.
public func makeTemporaryDirectory(_ prefix: String = "tsmfs-test") -> String {
    var template = Array("\(testRunDirectory)/\(prefix)-XXXXXX".utf8CString)
    return template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
}
