/// Fixed-offset little-endian access to byte arrays, the way binary evidence layouts are
/// described (field at offset N, M bytes wide). Inlinable: a layout writes a dozen fields, and each
/// unspecialised generic call across modules costs more than the store itself.
extension Array where Element == UInt8 {
    /// Writes `value` little-endian at `offset`; the array must already be long enough.
    @inlinable
    public mutating func storeLittleEndian<T: FixedWidthInteger>(_ value: T, at offset: Int) {
        precondition(offset >= 0 && offset + MemoryLayout<T>.size <= count, "field outside the layout")
        withUnsafeMutableBytes { $0.storeBytes(of: value.littleEndian, toByteOffset: offset, as: T.self) }
    }

    /// Appends `value` little-endian.
    @inlinable
    public mutating func appendLittleEndian<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }

    /// Reads a little-endian `T` at `offset`; the array must be long enough.
    @inlinable
    public func loadLittleEndian<T: FixedWidthInteger>(_ type: T.Type, at offset: Int) -> T {
        precondition(offset >= 0 && offset + MemoryLayout<T>.size <= count, "field outside the layout")
        return withUnsafeBytes { T(littleEndian: $0.loadUnaligned(fromByteOffset: offset, as: T.self)) }
    }
}
