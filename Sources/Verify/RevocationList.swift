import Foundation
import SwiftASN1

/// An X.509 v2 CRL (RFC 5280 §5) read with SwiftASN1 alone — swift-certificates has no CRL type:
/// what the issuer signed, who issued it, when it applies and which serials it revokes.
struct RevocationList {
    /// The DER of tbsCertList: what the issuer signed.
    let tbs: [UInt8]
    let signature: [UInt8]
    /// The DER of the issuer Name.
    let issuer: [UInt8]
    let thisUpdate: Date
    let nextUpdate: Date?
    /// The revoked serial numbers, as the content bytes of their INTEGERs.
    let revokedSerials: [[UInt8]]
    /// The outer signatureAlgorithm equals the signed one and the signature has no unused bits.
    let wellFormed: Bool

    init(der bytes: [UInt8]) throws {
        var result: RevocationList?
        try DER.sequence(try DER.parse(bytes), identifier: .sequence) { nodes in
            guard let tbsNode = nodes.next(), let outerAlgorithm = nodes.next() else {
                throw ASN1Error.invalidASN1Object(reason: "short CRL")
            }
            let signature = try ASN1BitString(derEncoded: &nodes)
            var fields: (algorithm: [UInt8], issuer: [UInt8], thisUpdate: Date, nextUpdate: Date?, revoked: [[UInt8]])?
            try DER.sequence(tbsNode, identifier: .sequence) { tbs in
                var node = tbs.next()
                if node?.identifier == .integer { node = tbs.next() }  // version v2
                guard let algorithm = node, let issuer = tbs.next(), let thisUpdateNode = tbs.next() else {
                    throw ASN1Error.invalidASN1Object(reason: "short tbsCertList")
                }
                let thisUpdate = try Self.time(thisUpdateNode)
                var nextUpdate: Date?
                var revoked: [[UInt8]] = []
                while let item = tbs.next() {
                    switch item.identifier {
                    case .utcTime, .generalizedTime: nextUpdate = try Self.time(item)
                    case .sequence:
                        guard case .constructed(let entries) = item.content else { continue }
                        for entry in entries {
                            guard case .constructed(let parts) = entry.content, let serial = parts.first(where: { _ in true }),
                                serial.identifier == .integer, case .primitive(let content) = serial.content
                            else { throw ASN1Error.invalidASN1Object(reason: "malformed revoked entry") }
                            revoked.append(Array(content))
                        }
                    default: continue  // [0] crlExtensions
                    }
                }
                fields = (Array(algorithm.encodedBytes), Array(issuer.encodedBytes), thisUpdate, nextUpdate, revoked)
            }
            guard let fields else { throw ASN1Error.invalidASN1Object(reason: "no tbsCertList") }
            result = RevocationList(
                tbs: Array(tbsNode.encodedBytes), signature: Array(signature.bytes), issuer: fields.issuer,
                thisUpdate: fields.thisUpdate, nextUpdate: fields.nextUpdate, revokedSerials: fields.revoked,
                wellFormed: fields.algorithm == Array(outerAlgorithm.encodedBytes) && signature.paddingBits == 0)
        }
        guard let result else { throw ASN1Error.invalidASN1Object(reason: "no CRL") }
        self = result
    }

    private init(
        tbs: [UInt8], signature: [UInt8], issuer: [UInt8], thisUpdate: Date, nextUpdate: Date?, revokedSerials: [[UInt8]],
        wellFormed: Bool
    ) {
        (self.tbs, self.signature, self.issuer) = (tbs, signature, issuer)
        (self.thisUpdate, self.nextUpdate, self.revokedSerials, self.wellFormed) = (
            thisUpdate, nextUpdate, revokedSerials, wellFormed
        )
    }

    /// Whether the list applies at `time`: issued before it and not past its nextUpdate.
    func isCurrent(at time: Date) -> Bool { thisUpdate <= time && nextUpdate.map { time <= $0 } ?? true }

    /// Whether `serial` (INTEGER content bytes) is listed; leading zero octets do not count.
    func revokes(serial: [UInt8]) -> Bool {
        let wanted = serial.drop { $0 == 0 }
        return revokedSerials.contains { $0.drop { $0 == 0 } == wanted }
    }

    /// Checks that this list is `issuer`'s, well formed, signed (`isSignedByIssuer` verifies the
    /// signature over ``tbs``) and current, then that it revokes none of `certificates` (name, serial).
    func check(
        _ name: String, issuer expected: [UInt8], at time: Date, isSignedByIssuer: Bool,
        certificates: [(name: String, serial: [UInt8])], into checks: inout [String]
    ) throws(VerificationFailure) {
        guard wellFormed, issuer == expected else {
            throw VerificationFailure(name, "the CRL is not its issuer's, or its outer algorithm differs from the signed one")
        }
        guard isSignedByIssuer else { throw VerificationFailure(name, "the CRL is not signed by its issuer") }
        guard isCurrent(at: time) else { throw VerificationFailure(name, "the CRL is not current (issued later or expired)") }
        for certificate in certificates where revokes(serial: certificate.serial) {
            throw VerificationFailure("\(certificate.name) revocation", "the \(certificate.name) is revoked by \(name)")
        }
        checks.append(name)
    }

    /// A UTCTime or GeneralizedTime as a date (both are UTC in certificates and CRLs).
    private static func time(_ node: ASN1Node) throws -> Date {
        let (year, month, day, hours, minutes, seconds): (Int, Int, Int, Int, Int, Int)
        if node.identifier == .utcTime {
            let time = try UTCTime(derEncoded: node)
            (year, month, day, hours, minutes, seconds) = (
                time.year, time.month, time.day, time.hours, time.minutes, time.seconds
            )
        } else {
            let time = try GeneralizedTime(derEncoded: node)
            (year, month, day, hours, minutes, seconds) = (
                time.year, time.month, time.day, time.hours, time.minutes, time.seconds
            )
        }
        // Days since 1970-01-01 in the proleptic Gregorian calendar (the days-from-civil algorithm).
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        let days = era * 146097 + dayOfEra - 719468
        return Date(timeIntervalSince1970: TimeInterval(days * 86400 + hours * 3600 + minutes * 60 + seconds))
    }
}
