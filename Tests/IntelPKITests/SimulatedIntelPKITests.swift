import Crypto
import Foundation
import IntelPKI
import SimulatedPKI
import SwiftASN1
import Testing
import X509

@Suite struct SimulatedIntelPKITests {
    static func seeded() throws -> SimulatedIntelPKI {
        try SimulatedIntelPKI.load(
            from: KeyStore(directory: "/nonexistent", seed: Array(repeating: 7, count: 32)),
            platform: TDXPlatform())
    }

    @Test func chainUsesIntelsNamesAndProfile() throws {
        let pki = try Self.seeded()
        let expected = [
            (pki.root.certificate, "Intel SGX Root CA", "Intel SGX Root CA"),
            (pki.platformCA.certificate, "Intel SGX PCK Platform CA", "Intel SGX Root CA"),
            (pki.pck.certificate, "Intel SGX PCK Certificate", "Intel SGX PCK Platform CA"),
            (pki.tcbSigning.certificate, "Intel SGX TCB Signing", "Intel SGX Root CA"),
        ]
        for (certificate, subject, issuer) in expected {
            // RFC 4514 prints the last RDN first, so this is DER order CN, O, L, ST, C — Intel's.
            #expect(certificate.subject.description == "C=US,ST=CA,L=Santa Clara,O=Intel Corporation,CN=\(subject)")
            #expect(certificate.issuer.description == "C=US,ST=CA,L=Santa Clara,O=Intel Corporation,CN=\(issuer)")
            #expect(certificate.signatureAlgorithm == .ecdsaWithSHA256)
            #expect(certificate.version == .v3)
        }
        #expect(try pki.root.certificate.extensions.basicConstraints == .isCertificateAuthority(maxPathLength: 1))
        #expect(try pki.platformCA.certificate.extensions.basicConstraints == .isCertificateAuthority(maxPathLength: 0))
        #expect(try pki.pck.certificate.extensions.basicConstraints == .notCertificateAuthority)
    }

    @Test func pckHasExactlySixExtensionsWithTheSGXExtensionLast() throws {
        let pck = try Self.seeded().pck.certificate
        let oids = pck.extensions.map(\.oid)
        #expect(
            oids == [
                ASN1ObjectIdentifier.X509ExtensionID.authorityKeyIdentifier, [2, 5, 29, 31],
                .X509ExtensionID.subjectKeyIdentifier, .X509ExtensionID.keyUsage,
                .X509ExtensionID.basicConstraints, SGXExtension.oid,
            ])
        #expect(pck.extensions.filter(\.critical).map(\.oid) == [.X509ExtensionID.keyUsage, .X509ExtensionID.basicConstraints])
        let keyUsage = try #require(try pck.extensions.keyUsage)
        #expect(keyUsage.digitalSignature && keyUsage.nonRepudiation && !keyUsage.keyCertSign)
    }

    @Test func sgxExtensionCarriesSevenEntriesAndAnEighteenEntryTCB() throws {
        let platform = TDXPlatform()
        let der = try SGXExtension.extensionValue(platform: platform, ppid: Array(repeating: 0xAB, count: 16))
        let root = try DER.parse(der)
        guard case .constructed(let entries) = root.content else {
            Issue.record("not a SEQUENCE")
            return
        }
        let pairs = Array(entries)
        #expect(pairs.count == 7)
        func oidAndValue(_ node: ASN1Node) throws -> (ASN1ObjectIdentifier, ASN1Node) {
            guard case .constructed(let children) = node.content else { throw ASN1Error.invalidASN1Object(reason: "pair") }
            let items = Array(children)
            return (try ASN1ObjectIdentifier(derEncoded: items[0]), items[1])
        }
        let arcs = try pairs.map { try oidAndValue($0).0 }
        #expect(arcs == (1...7).map { try! ASN1ObjectIdentifier(elements: [1, 2, 840, 113741, 1, 13, 1, UInt($0)]) })
        let tcb = try oidAndValue(pairs[1]).1
        guard case .constructed(let components) = tcb.content else {
            Issue.record("TCB not a SEQUENCE")
            return
        }
        #expect(Array(components).count == 18)
        #expect(try ASN1OctetString(derEncoded: try oidAndValue(pairs[3]).1).bytes == ArraySlice(platform.fmspc))
        #expect(try ASN1OctetString(derEncoded: try oidAndValue(pairs[0]).1).bytes.count == 16)
    }

    @Test func crlsAreSignedByTheirIssuersAndNameThem() throws {
        let pki = try Self.seeded()
        let collateral = try TDXCollateral(pki: pki)
        for (crl, issuer) in [(collateral.rootCACRL, pki.root), (collateral.pckCRL, pki.platformCA)] {
            let node = try DER.parse(crl)
            guard case .constructed(let parts) = node.content else {
                Issue.record("CRL not a SEQUENCE")
                continue
            }
            let items = Array(parts)
            #expect(items.count == 3)
            let tbs = Array(crl[crl.startIndex...].dropFirst(4).prefix(items[0].encodedBytes.count))
            #expect(tbs == Array(items[0].encodedBytes))
            let signature = try ASN1BitString(derEncoded: items[2])
            let ecdsa = try P256.Signing.ECDSASignature(derRepresentation: Array(signature.bytes))
            #expect(issuer.key.publicKey.isValidSignature(ecdsa, for: tbs))
        }
    }

    @Test func collateralJSONIsSignedOverItsExactBytes() throws {
        let pki = try Self.seeded()
        let collateral = try TDXCollateral(pki: pki)
        let tcbSignature = try P256.Signing.ECDSASignature(rawRepresentation: collateral.tcbInfoSignature)
        #expect(pki.tcbSigning.key.publicKey.isValidSignature(tcbSignature, for: Array(collateral.tcbInfo.utf8)))
        let qeSignature = try P256.Signing.ECDSASignature(rawRepresentation: collateral.qeIdentitySignature)
        #expect(pki.tcbSigning.key.publicKey.isValidSignature(qeSignature, for: Array(collateral.qeIdentity.utf8)))
        let info = try JSONSerialization.jsonObject(with: Data(collateral.tcbInfo.utf8)) as? [String: Any]
        #expect(info?["id"] as? String == "TDX" && info?["version"] as? Int == 3)
        let identity = try JSONSerialization.jsonObject(with: Data(collateral.qeIdentity.utf8)) as? [String: Any]
        #expect(identity?["id"] as? String == "TD_QE" && identity?["version"] as? Int == 2)
    }
}
