import CBOR

/// A COSE_Sign1 message (RFC 9052 §4.2), CBOR tag 18: `[protected, unprotected, payload,
/// signature]`, where the signature covers the Sig_structure `["Signature1", protected, h'', payload]`.
/// The layout only; CCASigning makes and checks signatures.
public struct COSESign1: Equatable, Sendable {
    public static let tag: UInt64 = 18

    /// The ECDSA algorithms CCA tokens use, with their COSE identifiers.
    public enum Algorithm: Int64, Sendable, CaseIterable {
        case es256 = -7
        case es384 = -35

        /// Raw r ‖ s length.
        public var signatureLength: Int { self == .es256 ? 64 : 96 }
        public var name: String { self == .es256 ? "ES256" : "ES384" }
    }

    /// The protected header as its encoded bytes (signed as they are).
    public var protectedHeader: [UInt8]
    public var payload: [UInt8]
    public var signature: [UInt8]

    public init(algorithm: Algorithm, payload: [UInt8], signature: [UInt8] = []) {
        self.protectedHeader = CBOREncoder.encode(.map([(.int(1), .int(algorithm.rawValue))]))
        self.payload = payload
        self.signature = signature
    }

    /// The algorithm the protected header names, if it is one of ``Algorithm``.
    public var algorithm: Algorithm? {
        guard let header = try? CBORDecoder.decode(protectedHeader), let id = header[1]?.int else { return nil }
        return Algorithm(rawValue: id)
    }

    /// The bytes the signature covers.
    public var toBeSigned: [UInt8] {
        CBOREncoder.encode(.array([.text("Signature1"), .bytes(protectedHeader), .bytes([]), .bytes(payload)]))
    }

    public var cbor: CBORValue {
        .tagged(Self.tag, .array([.bytes(protectedHeader), .map([]), .bytes(payload), .bytes(signature)]))
    }

    public var bytes: [UInt8] { CBOREncoder.encode(cbor) }

    public init(parsing bytes: [UInt8]) throws(TokenFormatError) {
        let value: CBORValue
        do { value = try CBORDecoder.decode(bytes) } catch { throw .cbor(error) }
        guard case .tagged(Self.tag, .array(let parts)) = value, parts.count == 4,
            let protected = parts[0].bytesValue, parts[1].mapValue != nil, let payload = parts[2].bytesValue,
            let signature = parts[3].bytesValue
        else { throw .notCOSESign1 }
        self.protectedHeader = protected
        self.payload = payload
        self.signature = signature
    }
}

/// Why bytes are not a CCA attestation token of the expected shape.
public enum TokenFormatError: Error, Equatable, Sendable, CustomStringConvertible {
    case cbor(CBORError)
    case notCOSESign1
    /// Neither tag 399 nor a tag 907 collection with both tokens.
    case notTokenCollection
    /// A claim is missing or has the wrong type.
    case claim(key: Int64, String)

    public var description: String {
        switch self {
        case .cbor(let error): "\(error)"
        case .notCOSESign1: "not a tagged COSE_Sign1 (tag 18, four elements)"
        case .notTokenCollection: "not a CCA token collection (tag 399, or tag 907 with platform and realm tokens)"
        case .claim(let key, let problem): "claim \(key): \(problem)"
        }
    }
}
