import SwiftASN1

/// The parts of an X.509 certificate a verifier needs, read with SwiftASN1 alone: AMD's
/// RSASSA-PSS certificates are outside what swift-certificates parses.
struct DERCertificate {
    /// The DER of tbsCertificate: what the issuer signed.
    let tbs: [UInt8]
    let signature: [UInt8]
    /// The serial number's INTEGER content bytes.
    let serial: [UInt8]
    let issuer: [UInt8]
    let subject: [UInt8]
    let subjectPublicKeyInfo: [UInt8]
    let extensions: [(oid: ASN1ObjectIdentifier, value: [UInt8])]
    /// Whether the outer signatureAlgorithm is byte for byte the one inside tbsCertificate (RFC 5280
    /// §4.1.1.2): the outer copy is not signed, so a certificate whose copies differ is refused.
    let algorithmsAgree: Bool
    /// The signature BIT STRING's unused-bit count. Signatures are whole octets, so it must be 0;
    /// it is outside what the issuer signed, and a 1 there would change the bytes undetected.
    let signaturePaddingBits: Int

    init(der bytes: [UInt8]) throws {
        let root = try DER.parse(bytes)
        var parts: (tbs: [UInt8], signature: [UInt8], outerAlgorithm: [UInt8])? = nil
        var padding = 0
        var fields:
            (
                serial: [UInt8], algorithm: [UInt8], issuer: [UInt8], subject: [UInt8], spki: [UInt8],
                extensions: [(ASN1ObjectIdentifier, [UInt8])]
            )? = nil
        try DER.sequence(root, identifier: .sequence) { nodes in
            guard let tbsNode = nodes.next(), let algorithm = nodes.next() else {
                throw ASN1Error.invalidASN1Object(reason: "short certificate")
            }
            let signature = try ASN1BitString(derEncoded: &nodes)
            guard nodes.next() == nil else { throw ASN1Error.invalidASN1Object(reason: "data after the signature") }
            parts = (Array(tbsNode.encodedBytes), Array(signature.bytes), Array(algorithm.encodedBytes))
            padding = signature.paddingBits
            fields = try Self.parseTBS(tbsNode)
        }
        guard let parts, let fields else { throw ASN1Error.invalidASN1Object(reason: "no certificate") }
        (tbs, signature) = (parts.tbs, parts.signature)
        algorithmsAgree = parts.outerAlgorithm == fields.algorithm
        signaturePaddingBits = padding
        (serial, issuer, subject, subjectPublicKeyInfo) = (fields.serial, fields.issuer, fields.subject, fields.spki)
        extensions = fields.extensions.map { (oid: $0.0, value: $0.1) }
    }

    private static func parseTBS(_ node: ASN1Node) throws -> (
        serial: [UInt8], algorithm: [UInt8], issuer: [UInt8], subject: [UInt8], spki: [UInt8],
        extensions: [(ASN1ObjectIdentifier, [UInt8])]
    ) {
        try DER.sequence(node, identifier: .sequence) { nodes in
            // [0] version (optional), serialNumber, signature, issuer, validity, subject, SPKI, …, [3] extensions.
            var first = nodes.next()
            if first?.identifier == ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific) { first = nodes.next() }
            guard let serialNode = first, case .primitive(let serial) = serialNode.content, let algorithm = nodes.next(),
                let issuer = nodes.next(), nodes.next() != nil, let subject = nodes.next(), let spki = nodes.next()
            else { throw ASN1Error.invalidASN1Object(reason: "short tbsCertificate") }
            var extensions: [(ASN1ObjectIdentifier, [UInt8])] = []
            while let item = nodes.next() {
                guard item.identifier == ASN1Identifier(tagWithNumber: 3, tagClass: .contextSpecific),
                    case .constructed(let wrapped) = item.content, let list = wrapped.first(where: { _ in true })
                else { continue }
                try DER.sequence(list, identifier: .sequence) { entries in
                    while let entry = entries.next() {
                        try DER.sequence(entry, identifier: .sequence) { parts in
                            let oid = try ASN1ObjectIdentifier(derEncoded: &parts)
                            var value = parts.next()
                            if value?.identifier == .boolean { value = parts.next() }
                            guard let value, case .primitive(let bytes) = value.content else { return }
                            extensions.append((oid, Array(bytes)))
                        }
                    }
                }
            }
            return (
                Array(serial), Array(algorithm.encodedBytes), Array(issuer.encodedBytes), Array(subject.encodedBytes),
                Array(spki.encodedBytes), extensions
            )
        }
    }

    func extensionValue(_ oid: ASN1ObjectIdentifier) -> [UInt8]? { extensions.first { $0.oid == oid }?.value }

    /// An INTEGER extension value (AMD's SPL extensions).
    func integerExtension(_ oid: ASN1ObjectIdentifier) -> Int? {
        guard let value = extensionValue(oid), let node = try? DER.parse(value) else { return nil }
        return try? Int(derEncoded: node)
    }
}
