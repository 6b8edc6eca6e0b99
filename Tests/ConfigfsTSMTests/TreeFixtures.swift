import EchoProvider
import FileTree
import ProviderKit
import SystemPackage

@testable import ConfigfsTSM

/// A tree with the echo provider and a fixed clock. In-process tests send no RELEASE after a
/// bare flush, so observers wait `releaseWait` each time one is left pending.
func makeTree(
    releaseWait: Duration = .milliseconds(100),
    _ configure: (inout EchoProvider.Configuration) -> Void = { _ in }
) -> (ReportTree, EchoProvider) {
    var configuration = EchoProvider.Configuration()
    configure(&configuration)
    let provider = EchoProvider(configuration: configuration)
    let tree = ReportTree(
        provider: provider, releaseWait: releaseWait,
        clock: { Timestamp(seconds: 1_700_000_000, nanoseconds: 0) })
    return (tree, provider)
}

extension ReportTree {
    /// mkdir report/<name> and return the entry.
    func makeEntry(_ name: String) throws -> ReportEntry {
        let attributes = try makeDirectory(parent: .report, name: FileName(name))
        return entry(attributes.inode.rawValue >> 4)!
    }

    func openAttribute(_ entry: ReportEntry, _ attribute: ReportAttribute, read: Bool = false, write: Bool = false) throws(Errno)
        -> OpenAttribute
    {
        let inode = try lookup(parent: Inode(rawValue: entry.id << 4), name: FileName(attribute.fileName)).inode
        return try open(inode, mode: AccessMode(read: read, write: write))
    }

    /// Reads a whole attribute through a fresh descriptor, like `cat`.
    func readAll(_ entry: ReportEntry, _ attribute: ReportAttribute) throws(Errno) -> [UInt8] {
        let file = try openAttribute(entry, attribute, read: true)
        defer { file.release() }
        return try file.readAll()
    }

    /// Writes through a fresh descriptor and closes it, like `printf > file`.
    @discardableResult
    func writeAll(_ entry: ReportEntry, _ attribute: ReportAttribute, _ bytes: [UInt8]) throws(Errno) -> Int {
        let file = try openAttribute(entry, attribute, write: true)
        defer {
            file.flush()
            file.release()
        }
        return try file.write(bytes)
    }

    func generation(_ entry: ReportEntry) throws(Errno) -> String {
        String(decoding: try readAll(entry, .generation), as: UTF8.self)
    }
}

extension OpenAttribute {
    func readAll() throws(Errno) -> [UInt8] {
        var result: [UInt8] = []
        while true {
            let chunk = try readBytes(at: result.count, count: 7)
            if chunk.isEmpty { return result }
            result += chunk
        }
    }

    func readBytes(at offset: Int, count: Int) throws(Errno) -> [UInt8] {
        var bytes: [UInt8] = []
        try read(at: offset, count: count) { pieces in bytes = pieces.flatMap { Array($0) } }
        return bytes
    }

    func write(_ bytes: [UInt8], at offset: Int = 0, owner: UInt64 = 0) throws(Errno) -> Int {
        let result: Result<Int, Errno> = bytes.withUnsafeBytes { buffer in
            Result { () throws(Errno) -> Int in try write(buffer, at: offset, owner: owner) }
        }
        return try result.get()
    }
}

func ascii(_ text: String) -> [UInt8] { Array(text.utf8) }
