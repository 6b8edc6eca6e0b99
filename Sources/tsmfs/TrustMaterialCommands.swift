import AMDPKI
import ArgumentParser
import Assembly
import ByteLayout
import CCAProvider
import CCASigning
import CCAToken
import Crypto
import Foundation
import Glibc
import IntelPKI
import SimulatedPKI
import SwiftASN1

/// `tsmfs roots`: the simulated roots a verifier must be told to trust.
struct RootsCommand: TrustMaterialCommand {
    static let configuration = CommandConfiguration(
        commandName: "roots",
        abstract: "Write the simulated root certificates verifiers must trust.",
        discussion: """
            Uses the same state directory, configuration and seed as 'tsmfs mount', creating \
            the keys if they do not exist yet, so the roots match the evidence the mount serves.

            For --provider tdx, DIR receives intel-sgx-root-ca.pem and intel-sgx-root-ca.der; \
            for sev, per product line, the ARK and ASK in every layout AMD verifiers read and \
            the CRL; for cca, the CPAK as cpak.pem and as a JWK trust anchor store \
            (cpak-trust-anchors.json). VERIFIERS.txt shows how each verifier takes them.

            Example:
              tsmfs roots --provider tdx --out /tmp/trust
            """
    )

    @OptionGroup var providerOptions: ProviderOptions

    @Option(help: ArgumentHelp("The directory to write into (created if missing).", valueName: "dir"))
    var out: String

    func files(for resolved: ProviderOptions.Resolved) throws -> [(String, [UInt8])] {
        switch resolved.settings.provider {
        case .tdx:
            let (pki, configuration) = try resolved.assembly.intelPKI()
            var files = [
                ("intel-sgx-root-ca.pem", Array(try CertificateIssuer.pem(pki.root.certificate).utf8)),
                ("intel-sgx-root-ca.der", try pki.rootDER),
                ("VERIFIERS.txt", Array(Self.verifierNotes.utf8)),
            ]
            // DICE quotes chain to the DICE root instead; it is all a verifier needs.
            if configuration.quoting == .dice {
                let dice = try resolved.assembly.dicePKI(pki.platform)
                files += [
                    ("dice-root-ca.pem", Array(try CertificateIssuer.pem(dice.root.certificate).utf8)),
                    ("dice-root-ca.der", try dice.rootDER),
                ]
            }
            return files
        case .sev:
            let (pki, sev) = try resolved.assembly.amdPKI()
            let line = pki.productLine.rawValue
            let crl = try resolved.assembly.amdRevocationList(pki, revoking: sev.revokedSerials)
            // The VLEK chain's intermediate is the ASVK; verifiers name the files after it.
            let intermediate = pki.signer == .vcek ? "ask" : "asvk"
            let ark = SimulatedAMDPKI.pem(pki.arkDER)
            let middle = SimulatedAMDPKI.pem(pki.intermediateDER)
            let arkHash = Array(SHA256.hash(data: pki.arkDER)).hexString
            return [
                ("\(line)/ark.pem", Array(ark.utf8)), ("\(line)/\(intermediate).pem", Array(middle.utf8)),
                ("\(line)/ark.der", pki.arkDER), ("\(line)/\(intermediate).der", pki.intermediateDER),
                ("\(line)/ark.der.sha256", Array("\(arkHash)\n".utf8)),
                ("\(line)/\(intermediate)_ark.pem", Array((middle + ark).utf8)),
                ("\(line)/snpguest/ark.pem", Array(ark.utf8)), ("\(line)/snpguest/\(intermediate).pem", Array(middle.utf8)),
                ("\(line)/snpguest/\(pki.signer.rawValue).pem", Array(SimulatedAMDPKI.pem(pki.signerDER).utf8)),
                ("\(line)/crl.der", crl),
                ("\(line)/crl.pem", Array((PEMDocument(type: "X509 CRL", derBytes: crl).pemString + "\n").utf8)),
                ("VERIFIERS.txt", Array(Self.sevVerifierNotes(line: line).utf8)),
            ]
        case .cca:
            let (key, cca) = try resolved.assembly.ccaPlatform()
            let platform = cca.configuration.platformClaims(for: key)
            return [
                ("cpak.pem", Array((key.publicKeyPEM + "\n").utf8)),
                ("cpak-trust-anchors.json", Array(Self.trustAnchorJSON(key, platform: platform).utf8)),
                ("VERIFIERS.txt", Array(Self.ccaVerifierNotes(key.algorithm).utf8)),
            ]
        case .echo, .none:
            throw CLIError(
                "the \(resolved.settings.provider.rawValue) provider signs nothing, so it has no roots; use --provider tdx, sev or cca"
            )
        }
    }

    /// The CPAK as Veraison's CCA verifiers take trust anchors: an array of entries naming the
    /// platform by instance and implementation id (hex), with the key as a JWK.
    static func trustAnchorJSON(_ key: TokenSigner.PlatformKey, platform: PlatformClaims) -> String {
        let (x, y) = key.coordinates
        let curve = key.algorithm == .es256 ? "P-256" : "P-384"
        return """
            [
              {
                "instance-id": "\(platform.instanceID.hexString)",
                "implementation-id": "\(platform.implementationID.hexString)",
                "pkey": {
                  "kty": "EC",
                  "crv": "\(curve)",
                  "x": "\(base64URL(x))",
                  "y": "\(base64URL(y))"
                }
              }
            ]

            """
    }

    static func base64URL(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func ccaVerifierNotes(_ algorithm: COSESign1.Algorithm) -> String {
        """
        Simulated Arm CCA platform key (CPAK, \(algorithm.name)) written by tsmfs. It is not an Arm
        platform's: tokens signed with it verify only where this key is configured as trusted.

        cpak.pem                   the CPAK public key (SubjectPublicKeyInfo, PEM)
        cpak-trust-anchors.json    the same key as a JWK with the platform's instance and
                                   implementation ids: the trust anchor store Veraison's ccatoken reads

        The outblob is a CCA token collection (tag 399, or tag 907 with collection = "cmw" in [cca]).
        Verify the platform token (COSE_Sign1) with the CPAK, the realm token with the RAK from its
        claim 44237, and that the platform challenge (claim 10) is the hash of claim 44237 under the
        algorithm claim 44240 names. With Veraison's CLI:
            ccatoken verify -e token.cbor -t cpak-trust-anchors.json

        """
    }

    static func sevVerifierNotes(line: String) -> String {
        """
        Simulated AMD roots (\(line)) written by tsmfs. They are not AMD's: evidence chained to them
        verifies only where these files are configured as trusted.

        \(line)/ark.der, ask.der      DER; ark.der.sha256 is the SHA-256 of ark.der, for verifiers that pin it
        \(line)/ark.pem, ask.pem      PEM
        \(line)/ask_ark.pem           ASK then ARK, the bundle go-sev-guest's -product_key_path reads
        \(line)/crl.der, crl.pem      the chain's CRL as AMD's KDS serves it: issued and signed (RSASSA-PSS
                                     SHA-384) by the ARK; lists the serials of [sev] revoked_serials
        \(line)/snpguest/             ark.pem ask.pem vcek.pem, the directory `snpguest verify certs` reads
        (with signing_key = "vlek" in [sev]: asvk.pem, asvk.der, asvk_ark.pem and snpguest/vlek.pem instead)

        omne-attest (Python), with the VCEK taken from auxblob's certificate table:
            omne_attest.verify(report, vcek_der, ask_der, ark_der, bytes.fromhex(ark_sha256), omne_attest.Policy(...))
        go-sev-guest:
            check -in report.bin -inform bin -product_key_path \(line)/ask_ark.pem -network=false -check_crl=false
        snpguest:
            snpguest verify certs \(line)/snpguest && snpguest verify attestation \(line)/snpguest report.bin

        """
    }

    static let verifierNotes = """
        Simulated Intel SGX Root CA written by tsmfs. It is not Intel's: evidence chained to it
        verifies only where this file is configured as the trusted root.

        dcap-qvl (Python):
            import dcap_qvl, time
            collateral = dcap_qvl.QuoteCollateralV3.from_json(open("collateral.json").read())
            report = dcap_qvl.verify_with_root_ca(quote, collateral,
                                                  open("intel-sgx-root-ca.der", "rb").read(), int(time.time()))
            print(report.status)        # "UpToDate"
          (collateral.json comes from: tsmfs collateral --provider tdx --out DIR)

        go-tdx-guest:
            check -in quote.dat -trusted_roots intel-sgx-root-ca.pem -get_collateral=false -check_crl=false

        With [tdx] quoting = "dice", quotes are CBOR Web Tokens signed by the TDX module's quoting
        key, with a P-384 DICE certificate chain instead of a PCK chain, and need no collateral:
            tsmfs verify --roots DIR quote.dat          (dice-root-ca.der is the trusted root)

        """
}

/// `tsmfs collateral`: what verifiers would otherwise fetch from Intel's PCS.
struct CollateralCommand: TrustMaterialCommand {
    static let configuration = CommandConfiguration(
        commandName: "collateral",
        abstract: "Write signed collateral (TCB info, QE identity, CRLs) for the simulated platform.",
        discussion: """
            For --provider tdx, DIR receives:
              collateral.json           everything, in the layout dcap_qvl.QuoteCollateralV3.from_json reads
              tcb-info.json             TCB info v3 (id TDX) as Intel's PCS serves it, with its signature
              qe-identity.json          QE identity v2 (id TD_QE), likewise
              sgx-tcb-info.json, sgx-qe-identity.json   the platform's SGX TCB info and QE identity
              tcb-signing-chain.pem     "Intel SGX TCB Signing" certificate, then the root
              pck-crl-issuer-chain.pem  the Platform CA certificate, then the root
              root-ca.crl, pck-platform.crl   DER CRLs signed by the root and the Platform CA
            The collateral is valid for 30 days. With tcb_status = "OutOfDate" in [tdx] the
            platform's TCB level is reported out of date; [tdx] revoked_serials (an array of hex strings;
            tsmfs inspect shows each chain certificate's serial) lists the Platform CA's serial in
            root-ca.crl and any other (a PCK's) in pck-platform.crl.

            Example:
              tsmfs collateral --provider tdx --out /tmp/trust
            """
    )

    @OptionGroup var providerOptions: ProviderOptions

    @Option(help: ArgumentHelp("The directory to write into (created if missing).", valueName: "dir"))
    var out: String

    func files(for resolved: ProviderOptions.Resolved) throws -> [(String, [UInt8])] {
        guard resolved.settings.provider == .tdx else {
            throw CLIError("only the tdx provider has collateral; sev verifiers need only tsmfs roots and the auxblob")
        }
        let assembly = resolved.assembly
        let collateral = try assembly.tdxCollateral(try assembly.intelPKI().0)
        return [
            ("collateral.json", Array(collateral.collateralJSON.utf8)),
            ("tcb-info.json", Array(collateral.tcbInfoResponse.utf8)),
            ("qe-identity.json", Array(collateral.qeIdentityResponse.utf8)),
            ("sgx-tcb-info.json", Array(collateral.sgxTCBInfoResponse.utf8)),
            ("sgx-qe-identity.json", Array(collateral.sgxQEIdentityResponse.utf8)),
            ("tcb-signing-chain.pem", Array(collateral.tcbInfoIssuerChain.utf8)),
            ("pck-crl-issuer-chain.pem", Array(collateral.pckCRLIssuerChain.utf8)),
            ("root-ca.crl", collateral.rootCACRL),
            ("pck-platform.crl", collateral.pckCRL),
        ]
    }
}

/// A command that writes files derived from the provider's simulated PKI into `--out`.
protocol TrustMaterialCommand: ParsableCommand {
    var providerOptions: ProviderOptions { get }
    var out: String { get }
    func files(for resolved: ProviderOptions.Resolved) throws -> [(String, [UInt8])]
}

extension TrustMaterialCommand {
    func run() throws {
        try withOneLineErrors {
            let resolved = try providerOptions.resolve()
            // Checked as given: resolving a link first would hide that it is one.
            try KeyStore.checkExportDirectory(out)
            let store = KeyStore(directory: absolutePath(out))
            for (name, bytes) in try files(for: resolved) {
                try store.writeAtomically("\(store.directory)/\(name)", bytes)
            }
        }
    }
}

/// Runs `body`, turning any failure into `tsmfs: <message>` and exit status 1.
func withOneLineErrors(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let exit as ExitCode {
        throw exit
    } catch {
        throw exitWithMessage("\(error)")
    }
}
