import ArgumentParser
import Glibc
import IntelPKI
import SimulatedPKI

/// `tsmfs roots`: the simulated roots a verifier must be told to trust.
struct RootsCommand: TrustMaterialCommand {
    static let configuration = CommandConfiguration(
        commandName: "roots",
        abstract: "Write the simulated root certificates verifiers must trust.",
        discussion: """
            Uses the same state directory, configuration and seed as 'tsmfs mount', creating \
            the keys if they do not exist yet, so the roots match the evidence the mount serves.

            For --provider tdx, DIR receives intel-sgx-root-ca.pem and intel-sgx-root-ca.der \
            and VERIFIERS.txt, which shows how each verifier takes them.

            Example:
              tsmfs roots --provider tdx --out /tmp/trust
            """
    )

    @OptionGroup var providerOptions: ProviderOptions

    @Option(help: ArgumentHelp("The directory to write into (created if missing).", valueName: "dir"))
    var out: String

    static let material = "roots"

    func files(for pki: SimulatedIntelPKI) throws -> [(String, [UInt8])] {
        [("intel-sgx-root-ca.pem", Array(try CertificateIssuer.pem(pki.root.certificate).utf8)),
         ("intel-sgx-root-ca.der", try pki.rootDER),
         ("VERIFIERS.txt", Array(Self.verifierNotes.utf8))]
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
              tcb-signing-chain.pem     "Intel SGX TCB Signing" certificate, then the root
              pck-crl-issuer-chain.pem  the Platform CA certificate, then the root
              root-ca.crl, pck-platform.crl   DER CRLs signed by the root and the Platform CA
            The collateral is valid for 30 days. With tcb_status = "OutOfDate" in [tdx] the
            platform's TCB level is reported out of date.

            Example:
              tsmfs collateral --provider tdx --out /tmp/trust
            """
    )

    @OptionGroup var providerOptions: ProviderOptions

    @Option(help: ArgumentHelp("The directory to write into (created if missing).", valueName: "dir"))
    var out: String

    static let material = "collateral"

    func files(for pki: SimulatedIntelPKI) throws -> [(String, [UInt8])] {
        let collateral = try TDXCollateral(pki: pki)
        return [
            ("collateral.json", Array(collateral.collateralJSON.utf8)),
            ("tcb-info.json", Array(collateral.tcbInfoResponse.utf8)),
            ("qe-identity.json", Array(collateral.qeIdentityResponse.utf8)),
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
    /// What the command writes, for messages.
    static var material: String { get }
    func files(for pki: SimulatedIntelPKI) throws -> [(String, [UInt8])]
}

extension TrustMaterialCommand {
    func run() throws {
        try withOneLineErrors {
            let resolved = try providerOptions.resolve()
            let store = KeyStore(directory: absolutePath(out))
            for (name, bytes) in try files(for: try trustedPKI(resolved, command: Self.material)) {
                try store.writeAtomically("\(store.directory)/\(name)", bytes)
            }
        }
    }
}

/// The simulated PKI of the chosen provider; only tdx has one in this build.
private func trustedPKI(_ resolved: ProviderOptions.Resolved, command: String) throws -> SimulatedIntelPKI {
    switch resolved.settings.provider {
    case .tdx:
        return try resolved.intelPKI().0
    case .sev:
        throw CLIError("the sev provider is not part of this build yet")
    case .echo, .none:
        throw CLIError("the \(resolved.settings.provider.rawValue) provider signs nothing, so it has no \(command); use --provider tdx")
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
