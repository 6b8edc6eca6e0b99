import CBOR

/// Why bytes are not a DICE quote; each case names the level and the item that is wrong.
public enum DICEQuoteError: Error, Equatable, Sendable, CustomStringConvertible {
    case cbor(CBORError, in: String)
    /// Something is not of the CBOR type its place requires.
    case wrongType(String, expected: String)
    case missing(String)
    case unsupportedAlgorithm(Int64)
    case signatureLength(Int)
    /// A measurement of the wrong size.
    case wrongWidth(String, expected: Int, actual: Int)
    case emptyCertificate(index: Int)

    public var description: String {
        switch self {
        case .cbor(let error, let place): "\(place): \(error)"
        case .wrongType(let item, let expected): "\(item) must be \(expected)"
        case .missing(let item): "\(item) is missing"
        case .unsupportedAlgorithm(let algorithm): "COSE algorithm \(algorithm) is not ES384 (-35)"
        case .signatureLength(let count): "the signature has \(count) bytes, not 96 (P-384 r ‖ s)"
        case .wrongWidth(let item, let expected, let actual): "\(item) has \(actual) bytes, not \(expected)"
        case .emptyCertificate(let index): "certificate \(index) of the unprotected header is empty"
        }
    }

    /// Decodes one bstr-embedded item alone: nothing may follow it.
    static func decode(_ bytes: [UInt8], in place: String) throws(DICEQuoteError) -> CBORValue {
        do { return try CBORDecoder.decode(bytes) } catch { throw .cbor(error, in: place) }
    }
}
