import CFuse3

#if canImport(Glibc)
    import Glibc
#endif

/// One READDIR reply: as many entries as fit in `size` bytes, starting at `offset`, each
/// carrying its index + 1 as the offset the kernel continues from.
enum DirectoryPage {
    /// Adds one entry (name, attributes) to the page; returns the bytes it needs.
    typealias Add = (_ name: UnsafePointer<CChar>, _ attributes: inout stat) -> Int

    /// Replies with the page and returns how many entries it holds. `entry` describes entry
    /// `index` through `add`, returning what `add` returned.
    @discardableResult
    static func reply(
        _ reply: some FUSEReply, size: Int, offset: Int, count: Int, entry: (_ index: Int, _ add: Add) -> Int
    ) -> Int {
        var buffer = [CChar](repeating: 0, count: size)
        var used = 0
        var index = offset
        while index < count {
            let needed = buffer.withUnsafeMutableBufferPointer { storage in
                entry(index) { name, attributes in
                    fuse_add_direntry(nil, storage.baseAddress! + used, size - used, name, &attributes, off_t(index + 1))
                }
            }
            if needed > size - used { break }
            used += needed
            index += 1
        }
        buffer.withUnsafeBytes { reply.buffer(UnsafeRawBufferPointer(rebasing: $0.prefix(used))) }
        return index - offset
    }
}
