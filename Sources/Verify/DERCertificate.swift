import SwiftASN1

/// The parts of an X.509 certificate a verifier needs, read with SwiftASN1 alone: AMD's
/// RSASSA-PSS certificates are outside what swift-certificates parses.
struct DERCertificate {
    /// The DER of tbsCertificate: what the issuer signed.
    let tbs: [UInt8]
    let signature: [UInt8]
    let issuer: [UInt8]
    let subject: [UInt8]
    let subjectPublicKeyInfo: [UInt8]
    let extensions: [(oid: ASN1ObjectIdentifier, value: [UInt8])]

    init(der bytes: [UInt8]) throws {
        let root = try DER.parse(bytes)
        var parts: (tbs: [UInt8], signature: [UInt8])? = nil
        var fields: (issuer: [UInt8], subject: [UInt8], spki: [UInt8], extensions: [(ASN1ObjectIdentifier, [UInt8])])? = nil
        try DER.sequence(root, identifier: .sequence) { nodes in
            guard let tbsNode = nodes.next(), let algorithm = nodes.next() else {
                throw ASN1Error.invalidASN1Object(reason: "short certificate")
            }
            _ = algorithm
            let signature = try ASN1BitString(derEncoded: &nodes)
            parts = (Array(tbsNode.encodedBytes), Array(signature.bytes))
            fields = try Self.parseTBS(tbsNode)
        }
        guard let parts, let fields else { throw ASN1Error.invalidASN1Object(reason: "no certificate") }
        (tbs, signature) = parts
        (issuer, subject, subjectPublicKeyInfo) = (fields.issuer, fields.subject, fields.spki)
        extensions = fields.extensions.map { (oid: $0.0, value: $0.1) }
    }

    private static func parseTBS(_ node: ASN1Node) throws -> (
        issuer: [UInt8], subject: [UInt8], spki: [UInt8], extensions: [(ASN1ObjectIdentifier, [UInt8])]
    ) {
        try DER.sequence(node, identifier: .sequence) { nodes in
            // [0] version (optional), serialNumber, signature, issuer, validity, subject, SPKI, …, [3] extensions.
            let first = nodes.next()
            if first?.identifier == ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific) { _ = nodes.next() }
            guard nodes.next() != nil, let issuer = nodes.next(), nodes.next() != nil,
                let subject = nodes.next(), let spki = nodes.next()
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
            return (Array(issuer.encodedBytes), Array(subject.encodedBytes), Array(spki.encodedBytes), extensions)
        }
    }

    func extensionValue(_ oid: ASN1ObjectIdentifier) -> [UInt8]? { extensions.first { $0.oid == oid }?.value }

    /// An INTEGER extension value (AMD's SPL extensions).
    func integerExtension(_ oid: ASN1ObjectIdentifier) -> Int? {
        guard let value = extensionValue(oid), let node = try? DER.parse(value) else { return nil }
        return try? Int(derEncoded: node)
    }
}
