/// A fixed-width field of a binary layout: where it starts and how many bytes it has, with the
/// name its specification gives it, so a wrong value names the field it was meant for.
public struct Field: Sendable, Hashable, CustomStringConvertible {
    public let name: String
    public let offset: Int
    public let width: Int

    public init(_ name: String, at offset: Int, width: Int) {
        self.name = name
        self.offset = offset
        self.width = width
    }

    /// The byte range the field occupies.
    public var range: Range<Int> { offset..<offset + width }

    public var description: String { "\(name) (\(width) bytes at 0x\(String(offset, radix: 16)))" }
}

/// Why bytes do not fit a layout.
public enum LayoutError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A value for `field` had `actual` bytes instead of the field's width.
    case wrongWidth(field: String, expected: Int, actual: Int)
    /// An encoding of `layout` had `actual` bytes where at least `expected` are needed.
    case truncated(layout: String, expected: Int, actual: Int)

    public var description: String {
        switch self {
        case .wrongWidth(let field, let expected, let actual): "\(field) must be \(expected) bytes, not \(actual)"
        case .truncated(let layout, let expected, let actual): "\(layout) needs \(expected) bytes, found \(actual)"
        }
    }
}

extension Array where Element == UInt8 {
    /// Writes `value` into `field`, which must already lie inside the array. A value of any other
    /// width is refused rather than spilling into the next field or changing the layout's length.
    /// `base` is where the layout starts in the array, for a layout embedded in a larger one.
    public mutating func write(_ value: [UInt8], to field: Field, base: Int = 0) throws(LayoutError) {
        guard value.count == field.width else {
            throw .wrongWidth(field: field.name, expected: field.width, actual: value.count)
        }
        let range = base + field.offset..<base + field.offset + field.width
        precondition(base >= 0 && range.upperBound <= count, "\(field) lies outside a \(count)-byte layout")
        // A copy of the value's bytes in place: replaceSubrange's generic path costs more than
        // the copy for every field of every report.
        withUnsafeMutableBytes { layout in
            value.withUnsafeBytes { UnsafeMutableRawBufferPointer(rebasing: layout[range]).copyMemory(from: $0) }
        }
    }

    /// The bytes of `field`; the array must be long enough (check the layout's size first).
    public func read(_ field: Field) -> [UInt8] { Array(self[field.range]) }
}

/// Refuses a value for `field` whose width is not the field's: for layouts that append fields.
public func checkWidth(_ value: [UInt8], of field: Field) throws(LayoutError) {
    guard value.count == field.width else {
        throw .wrongWidth(field: field.name, expected: field.width, actual: value.count)
    }
}
