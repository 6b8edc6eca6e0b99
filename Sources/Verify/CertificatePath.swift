import Foundation
import SwiftASN1
import X509

/// Path validation for the ECDSA chains (Intel PCK, DICE, the collateral's issuers): names chain, each
/// certificate is signed by the next, issuers are CAs, everything is valid now, the path ends at the
/// trusted root — each failure named — and then swift-certificates' `Verifier` with the RFC 5280
/// policy must agree.
enum CertificatePath {
    /// The certificates in a PEM bundle, in order (swift-asn1's PEM parser; every block must be a
    /// CERTIFICATE).
    static func certificates(pem bytes: [UInt8], name: String) throws(VerificationFailure) -> [Certificate] {
        let documents: [PEMDocument]
        do {
            documents = try PEMDocument.parseMultiple(pemString: String(decoding: bytes, as: UTF8.self))
        } catch {
            throw VerificationFailure(name, "the PEM bundle does not parse: \(error)")
        }
        var certificates: [Certificate] = []
        for document in documents {
            guard document.discriminator == "CERTIFICATE" else {
                throw VerificationFailure(
                    name, "block \(certificates.count + 1) is a \(document.discriminator), not a CERTIFICATE")
            }
            do {
                certificates.append(try Certificate(derEncoded: document.derBytes))
            } catch {
                throw VerificationFailure(name, "certificate \(certificates.count + 1) does not parse: \(error)")
            }
        }
        guard !certificates.isEmpty else { throw VerificationFailure(name, "no PEM certificates") }
        return certificates
    }

    /// The certificates of a bundle that must be exactly their canonical PEM, one after another
    /// (64-column base64, each ending in a newline): nothing unsigned can hide between or after them.
    static func canonicalCertificates(pem bytes: [UInt8], name: String) throws(VerificationFailure) -> [Certificate] {
        let certificates = try certificates(pem: bytes, name: name)
        let canonical = certificates.compactMap { try? $0.serializeAsPEM().pemString + "\n" }.joined()
        guard Array(canonical.utf8) == bytes else {
            throw VerificationFailure(name, "the chain is not exactly its certificates' PEM (extra or altered bytes)")
        }
        return certificates
    }

    static func certificate(der bytes: [UInt8], name: String) throws(VerificationFailure) -> Certificate {
        do { return try Certificate(derEncoded: bytes) } catch { throw VerificationFailure(name, "does not parse: \(error)") }
    }

    /// `chain` is leaf first; it may end with the root itself or with a certificate the root signed.
    static func validate(_ chain: [Certificate], to root: Certificate, at time: Date, name: String)
        async throws(VerificationFailure)
    {
        var path = chain
        // A copy of the root in the chain must be the trusted root byte for byte: nothing in it goes unchecked.
        if path.last == root {
            path.removeLast()
        } else if let last = path.last, last.subject == last.issuer {
            throw VerificationFailure(name, "the chain ends at a self-signed \(last.subject) that is not the trusted root")
        }
        guard !path.isEmpty else { throw VerificationFailure(name, "the chain holds only the root") }
        for (index, certificate) in (path + [root]).enumerated() {
            guard certificate.notValidBefore <= time, time <= certificate.notValidAfter else {
                throw VerificationFailure(name, "\(certificate.subject) is not valid now")
            }
            if index > 0 {
                let constraints = try? certificate.extensions.basicConstraints
                guard case .isCertificateAuthority = constraints else {
                    throw VerificationFailure(name, "\(certificate.subject) issues certificates but is not a CA")
                }
            }
        }
        for (certificate, issuer) in zip(path, path.dropFirst() + [root]) {
            guard certificate.issuer == issuer.subject else {
                throw VerificationFailure(
                    name, "\(certificate.subject) names issuer \(certificate.issuer), not \(issuer.subject)")
            }
            guard issuer.publicKey.isValidSignature(certificate.signature, for: certificate) else {
                throw VerificationFailure(name, "the signature on \(certificate.subject) is not \(issuer.subject)'s")
            }
        }
        guard root.publicKey.isValidSignature(root.signature, for: root) else {
            throw VerificationFailure(name, "the trusted root is not self-signed")
        }
        // What no signature covers: the outer copy of the algorithm and the BIT STRING's unused bits.
        for certificate in path {
            var serializer = DER.Serializer()
            let parts = (try? serializer.serialize(certificate)).flatMap { try? DERCertificate(der: serializer.serializedBytes) }
            guard let parts, parts.algorithmsAgree, parts.signaturePaddingBits == 0 else {
                throw VerificationFailure(
                    name,
                    "\(certificate.subject): its outer signature algorithm or signature encoding differs from what was signed")
            }
        }
        var verifier = Verifier(rootCertificates: CertificateStore([root])) { RFC5280Policy(validationTime: time) }
        let result = await verifier.validate(leaf: path[0], intermediates: CertificateStore(Array(path.dropFirst())))
        if case .couldNotValidate(let failures) = result {
            let reason = failures.first.map { "\($0.policyFailureReason)" } ?? "no path to the trusted root"
            throw VerificationFailure(name, "RFC 5280 path validation refused it: \(reason)")
        }
    }
}
