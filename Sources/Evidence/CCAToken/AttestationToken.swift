import CBOR

/// A CCA attestation token: the platform token and the realm token, each a COSE_Sign1, in one of
/// the two collection forms verifiers accept.
public struct AttestationToken: Equatable, Sendable {
    /// How the two tokens are wrapped.
    public enum Collection: String, Sendable, CaseIterable {
        /// RMM 1.0: tag 399 around `{44234: platform, 44241: realm}`.
        case tokenCollection = "cca-token"
        /// draft-ffm-rats-cca-token: a CMW collection, tag 907 around `{44234: [263, platform], 44241: [263, realm]}`.
        case cmw

        public static let collectionTag: UInt64 = 399
        public static let cmwTag: UInt64 = 907
        /// The CoAP content format of an EAT in a CWT, which CMW records name.
        public static let eatContentFormat: UInt64 = 263
    }

    public var collection: Collection
    public var platform: COSESign1
    public var realm: COSESign1

    public init(collection: Collection, platform: COSESign1, realm: COSESign1) {
        self.collection = collection
        self.platform = platform
        self.realm = realm
    }

    public var bytes: [UInt8] {
        func entry(_ token: COSESign1) -> CBORValue {
            collection == .cmw ? .array([.unsigned(Collection.eatContentFormat), .bytes(token.bytes)]) : .bytes(token.bytes)
        }
        let map = CBORValue.map([(.int(ClaimKey.platformToken), entry(platform)), (.int(ClaimKey.realmToken), entry(realm))])
        return CBOREncoder.encode(.tagged(collection == .cmw ? Collection.cmwTag : Collection.collectionTag, map))
    }

    public init(parsing bytes: [UInt8]) throws(TokenFormatError) {
        let value: CBORValue
        do { value = try CBORDecoder.decode(bytes) } catch { throw .cbor(error) }
        guard case .tagged(let tag, let map) = value, tag == Collection.collectionTag || tag == Collection.cmwTag else {
            throw .notTokenCollection
        }
        collection = tag == Collection.cmwTag ? .cmw : .tokenCollection
        func token(_ key: Int64) throws(TokenFormatError) -> COSESign1 {
            let item = map[key]
            let bytes: [UInt8]?
            if tag == Collection.cmwTag {
                let record = item?.arrayValue
                bytes = record?.count == 2 ? record?[1].bytesValue : nil
            } else {
                bytes = item?.bytesValue
            }
            guard let bytes else { throw .notTokenCollection }
            return try COSESign1(parsing: bytes)
        }
        platform = try token(ClaimKey.platformToken)
        realm = try token(ClaimKey.realmToken)
    }
}
