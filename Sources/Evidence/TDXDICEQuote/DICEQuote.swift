import CBOR

/// A TD quote made by the TDX module's DICE quoting extension:
/// `61(18([protected, unprotected, payload, signature]))` — a CBOR Web Token around a COSE_Sign1
/// signed ES384 by the quoting key, whose DICE certificate chain (DER) rides in the unprotected
/// header and whose payload holds the ``DICEClaims``. Layout only: TDXSigning signs, `tsmfs verify`
/// checks. The quote is exactly one CBOR item: nothing may follow it.
public struct DICEQuote: Equatable, Sendable {
    /// Whether the COSE_Sign1 is wrapped in the CWT tag 61.
    public var cwtTagged: Bool
    /// The protected header's bytes as received: what the signature covers.
    public var protectedHeader: [UInt8]
    public var algorithm: Int64
    public var keyID: [UInt8]?
    public var contentType: String?
    /// The certificates, DER, as the header lists them.
    public var certificates: [[UInt8]]
    /// x5chain (ordered, end entity first) rather than x5bag.
    public var certificatesOrdered: Bool
    /// Every label of the unprotected header, in the order received (integers; text labels as nil).
    public var unprotectedLabels: [Int64?]
    /// The payload's bytes as received: what the signature covers.
    public var payload: [UInt8]
    public var claims: DICEClaims
    /// r ‖ s, 48 bytes each.
    public var signature: [UInt8]

    /// `{1: -35}`: the only protected header tsmfs writes.
    public static let protectedHeaderES384 = CBOREncoder.encode(
        .map([(.int(DICEQuoteLabels.Header.algorithm), .int(DICEQuoteLabels.algorithmES384))]))

    /// The COSE Sig_structure ES384 signs (RFC 9052 §4.4): `["Signature1", protected, h'', payload]`
    /// over the exact bytes of the protected header and payload.
    public static func toBeSigned(protectedHeader: [UInt8], payload: [UInt8]) -> [UInt8] {
        CBOREncoder.encode(.array([.text("Signature1"), .bytes(protectedHeader), .bytes([]), .bytes(payload)]))
    }

    /// Whether `bytes` start as a DICE quote does (go-tdx-guest's test): tag 61, or tag 18 and a 4-array.
    public static func hasDICEPrefix(_ bytes: [UInt8]) -> Bool {
        bytes.count >= 2 && [DICEQuoteLabels.cwtPrefix, DICEQuoteLabels.coseSign1Prefix].contains(Array(bytes[0..<2]))
    }

    /// The unprotected header tsmfs writes: kid, content type and the certificates as an x5bag.
    public static func unprotectedHeader(keyID: [UInt8], contentType: String, certificates: [[UInt8]]) -> CBORValue {
        .map([
            (.int(DICEQuoteLabels.Header.keyID), .bytes(keyID)),
            (.int(DICEQuoteLabels.Header.contentType), .text(contentType)),
            (.int(DICEQuoteLabels.Header.x5bag), .array(certificates.map(CBORValue.bytes))),
        ])
    }

    /// Everything before the payload: tags, array head, protected and unprotected headers — the
    /// same for every quote of one quoting key, so it can be stored once.
    public static func head(unprotectedHeader: CBORValue) -> [UInt8] {
        DICEQuoteLabels.cwtPrefix + DICEQuoteLabels.coseSign1Prefix + CBOREncoder.encode(.bytes(protectedHeaderES384))
            + CBOREncoder.encode(unprotectedHeader)
    }

    /// The payload and signature that end a quote.
    public static func tail(payload: [UInt8], signature: [UInt8]) -> [UInt8] {
        CBOREncoder.encode(.bytes(payload)) + CBOREncoder.encode(.bytes(signature))
    }

    /// Parses a quote by go-tdx-guest's rules — tag 61 optional, tag 18 and 4 elements required,
    /// ES384, certificates as x5bag (32, preferred) or x5chain (33), a 96-byte signature — on a
    /// decoder that also refuses what RFC 8949 calls invalid (duplicate keys, non-shortest heads).
    public init(parsing bytes: [UInt8]) throws(DICEQuoteError) {
        var item = try DICEQuoteError.decode(bytes, in: "the quote")
        cwtTagged = false
        if case .tagged(DICEQuoteLabels.Tag.cwt, let inner) = item {
            cwtTagged = true
            item = inner
        }
        guard case .tagged(DICEQuoteLabels.Tag.coseSign1, let array) = item else {
            throw .wrongType("the quote", expected: "a COSE_Sign1 (tag 18), optionally inside a CWT (tag 61)")
        }
        guard let parts = array.arrayValue, parts.count == 4 else {
            throw .wrongType("the COSE_Sign1", expected: "an array of 4 elements")
        }
        guard case .bytes(let protected) = parts[0], !protected.isEmpty else {
            throw .wrongType("the protected header", expected: "a non-empty byte string")
        }
        let protectedMap = try DICEQuoteError.decode(protected, in: "the protected header")
        guard protectedMap.mapValue != nil else { throw .wrongType("the protected header", expected: "a CBOR map") }
        guard let algorithm = protectedMap[DICEQuoteLabels.Header.algorithm]?.int else {
            throw .missing("the algorithm (label 1, an integer) of the protected header")
        }
        guard algorithm == DICEQuoteLabels.algorithmES384 else { throw .unsupportedAlgorithm(algorithm) }
        let unprotected = parts[1]
        guard let entries = unprotected.mapValue else { throw .wrongType("the unprotected header", expected: "a CBOR map") }
        unprotectedLabels = entries.map(\.key.int)
        if let kid = unprotected[DICEQuoteLabels.Header.keyID] {
            guard case .bytes(let bytes) = kid else { throw .wrongType("kid (label 4)", expected: "a byte string") }
            keyID = bytes
        }
        contentType = unprotected[DICEQuoteLabels.Header.contentType]?.textValue
        let bag = unprotected[DICEQuoteLabels.Header.x5bag]
        guard let certificateItem = bag ?? unprotected[DICEQuoteLabels.Header.x5chain] else {
            throw .missing("the certificates (x5bag, label 32, or x5chain, label 33) of the unprotected header")
        }
        certificatesOrdered = bag == nil
        switch certificateItem {
        case .bytes(let one): certificates = [one]
        case .array(let items):
            certificates = []
            for item in items {
                guard case .bytes(let certificate) = item else {
                    throw .wrongType("certificate \(certificates.count)", expected: "a byte string")
                }
                certificates.append(certificate)
            }
        default: throw .wrongType("the certificates", expected: "a byte string or an array of byte strings")
        }
        guard !certificates.isEmpty else { throw .missing("a certificate in the unprotected header") }
        if let empty = certificates.firstIndex(where: \.isEmpty) { throw .emptyCertificate(index: empty) }
        guard case .bytes(let payload) = parts[2], !payload.isEmpty else {
            throw .wrongType("the payload", expected: "a non-empty byte string")
        }
        guard case .bytes(let signature) = parts[3] else { throw .wrongType("the signature", expected: "a byte string") }
        guard signature.count == DICEQuoteLabels.signatureLength else { throw .signatureLength(signature.count) }
        self.protectedHeader = protected
        self.algorithm = algorithm
        self.payload = payload
        self.signature = signature
        self.claims = try DICEClaims(parsing: payload)
    }

    /// The bytes ES384 signed for this quote.
    public var toBeSigned: [UInt8] { Self.toBeSigned(protectedHeader: protectedHeader, payload: payload) }
}
