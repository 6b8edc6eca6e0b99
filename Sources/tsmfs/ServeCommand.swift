import ArgumentParser
import Assembly
import Foundation
import Glibc
import Logging
import NIOCore
import ServiceHTTP
import SimulatedPKI
import VendorServices

/// `tsmfs serve`: Intel's PCS/PCCS and AMD's KDS for the simulated roots.
struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Answer as Intel's PCS/PCCS and AMD's KDS for the simulated platforms.",
        discussion: """
            Serves, from the state directory's simulated PKI, exactly what 'tsmfs collateral' and \
            'tsmfs roots' write, at the vendors' paths: Intel PCS v4 (/tdx/certification/v4/tcb, \
            qe/identity, /sgx/certification/v4/pckcrl, with the issuer-chain headers), the PCCS \
            flavour (rootcacrl as hex, crl?uri=, hex pckcrl on port 8081), the root CA CRL at the \
            certificates' distribution point (/IntelSGXRootCA.der), and AMD KDS (/vcek/v1/LINE/ \
            cert_chain, crl, the VCEK by hwid and SPLs; /vlek/v1/LINE/cert_chain, crl). Data the \
            simulation does not have (another FMSPC, product or hwid) gets the services' 404. \
            GET /health answers ok; POST /tsmfs/tcb-recovery from this machine publishes a TCB \
            recovery, after which the platform's TCB level is out of date.

            HTTPS uses a server certificate for the vendors' host names from "tsmfs Simulated \
            TLS CA" (in STATE_DIR/services; --tls-ca-out writes it). 'tsmfs exec --services' runs \
            a command where the vendor host names resolve to this server, so verifiers work \
            unchanged in their online mode. Stops on SIGINT or SIGTERM.

            Examples:
              tsmfs serve --listen 127.0.0.1:8080
              tsmfs serve --tls-listen 127.0.0.1:8443 --tls-ca-out /tmp/tls-ca.pem --verbose
            """
    )

    @OptionGroup var providerOptions: ProviderOptions

    @Option(
        help: ArgumentHelp("Serve plain HTTP at ADDR:PORT (repeatable; default 127.0.0.1:8080).", valueName: "addr:port"))
    var listen: [String] = []

    @Option(help: ArgumentHelp("Serve HTTPS at ADDR:PORT (repeatable).", valueName: "addr:port"))
    var tlsListen: [String] = []

    @Option(help: ArgumentHelp("Write the simulated TLS CA (PEM) clients must trust to FILE.", valueName: "file"))
    var tlsCaOut: String?

    @Flag(name: .shortAndLong, help: "Log one line per request.")
    var verbose = false

    @Option(help: ArgumentHelp("Close a connection that sends nothing for this long (default 30000).", valueName: "ms"))
    var idleTimeoutMs: Int64 = 30_000

    func validate() throws {
        for address in listen where ServiceServer.Listener(address, tls: false) == nil {
            throw ValidationError("--listen \(address): expected ADDR:PORT, e.g. 127.0.0.1:8080")
        }
        for address in tlsListen where ServiceServer.Listener(address, tls: true) == nil {
            throw ValidationError("--tls-listen \(address): expected ADDR:PORT, e.g. 127.0.0.1:8443")
        }
        guard (100...3_600_000).contains(idleTimeoutMs) else {
            throw ValidationError("--idle-timeout-ms must be from 100 to 3600000")
        }
    }

    func run() throws {
        try withOneLineErrors {
            // Blocked before any thread starts, so every thread inherits it and sigwait takes them.
            VendorServiceRunner.blockTerminationSignals()
            let resolved = try providerOptions.resolve()
            var listeners = listen.compactMap { ServiceServer.Listener($0, tls: false) }
            listeners += tlsListen.compactMap { ServiceServer.Listener($0, tls: true) }
            if listeners.isEmpty { listeners = [ServiceServer.Listener(host: "127.0.0.1", port: 8080, tls: false)] }
            var logger = Logger(label: "tsmfs-serve")
            logger.logLevel = verbose ? .trace : .info
            let server = try VendorServiceRunner.start(
                resolved.assembly, listeners: listeners, verbose: verbose, tlsCAOut: tlsCaOut.map(absolutePath), logger: logger,
                idleTimeout: .milliseconds(idleTimeoutMs))
            VendorServiceRunner.waitForTermination()
            logger.info("shutting down")
            server.shutdown()
        }
    }
}

/// Starting the services, shared by `tsmfs serve`, `tsmfs mount --serve` and `tsmfs exec --services`.
enum VendorServiceRunner {
    static func start(
        _ assembly: ProviderAssembly, listeners: [ServiceServer.Listener], verbose: Bool, tlsCAOut: String?, logger: Logger,
        idleTimeout: TimeAmount = ServiceServer.defaultIdleTimeout
    ) throws -> ServiceServer {
        let services = try assembly.vendorServices()
        let identity = try assembly.serviceTLSIdentity()
        if let tlsCAOut {
            try KeyStore(directory: (tlsCAOut as NSString).deletingLastPathComponent).writeAtomically(
                tlsCAOut, Array(try identity.caPEM.utf8))
        }
        var log: (@Sendable (String) -> Void)?
        if verbose {
            log = { @Sendable line in logger.info("\(line)") }
        }
        let server = try ServiceServer(
            services: services, certificateChain: [try identity.serverDER, try identity.caDER],
            privateKeyPEM: identity.serverKey.pemRepresentation, idleTimeout: idleTimeout, log: log)
        do {
            for listener in try server.start(listeners) {
                logger.info("serving vendor services", metadata: ["at": "\(listener)"])
            }
        } catch {
            server.shutdown()
            throw CLIError("cannot listen: \(error)")
        }
        return server
    }

    static var terminationSignals: sigset_t {
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGINT)
        sigaddset(&signals, SIGTERM)
        return signals
    }

    static func blockTerminationSignals() {
        var signals = terminationSignals
        pthread_sigmask(SIG_BLOCK, &signals, nil)
    }

    /// Blocks until SIGINT or SIGTERM (blocked beforehand by ``blockTerminationSignals()``).
    static func waitForTermination() {
        var signals = terminationSignals
        var received: Int32 = 0
        sigwait(&signals, &received)
    }
}
