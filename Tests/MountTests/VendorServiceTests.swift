import Foundation
import Glibc
import TestDirectories
import Testing

/// `tsmfs serve`, `tsmfs mount --serve` and `tsmfs exec --services`: Intel's PCS/PCCS and AMD's KDS
/// for the simulated roots, driven by raw requests and by unmodified clients.
@Suite(.serialized) struct VendorServiceTests {
    static let verifiers = TDXEvidenceTests.packageRoot + "/Tests/Verifiers"

    /// A running `tsmfs serve` on free ports of 127.0.0.1 (HTTP and HTTPS), and the files `tsmfs
    /// collateral` and `tsmfs roots` wrote from the same state directory.
    struct Server {
        let process: Process
        let http: Int
        let https: Int
        let state: String
        let exported: String
        let tlsCA: String
        let errors: Pipe

        func stop() {
            process.terminate()
            process.waitUntilExit()
        }

        /// What the server logged after it started listening; call after ``stop()``.
        func remainingLog() -> String { String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self) }
    }

    static func startServer(state: String = makeTemporaryDirectory("tsmfs-state"), extra: [String] = []) throws -> Server {
        let work = makeTemporaryDirectory("tsmfs-serve")
        let exported = work + "/exported"
        for command in [["collateral", "--provider", "tdx"], ["roots", "--provider", "tdx"], ["roots", "--provider", "sev"]] {
            let result = try run(TSMFSBinary.path, command + ["--state-dir", state, "--out", exported])
            #expect(result.status == 0, "\(command): \(result.stderr)")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: TSMFSBinary.path)
        process.arguments =
            [
                "serve", "--state-dir", state, "--listen", "127.0.0.1:0", "--tls-listen", "127.0.0.1:0", "--tls-ca-out",
                work + "/tls-ca.pem",
            ] + extra
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        // The server says where it listens once it does: read until both addresses are known.
        var ports: [String: Int] = [:]
        var pending = ""
        while ports.count < 2 {
            let chunk = errors.fileHandleForReading.availableData
            guard !chunk.isEmpty else { break }
            pending += String(decoding: chunk, as: UTF8.self)
            for scheme in ["http", "https"] {
                if let range = pending.range(of: "at=\(scheme)://127.0.0.1:") {
                    let digits = pending[range.upperBound...].prefix { $0.isNumber }
                    ports[scheme] = Int(digits)
                }
            }
        }
        try #require(ports.count == 2, "tsmfs serve did not start: \(pending)")
        return Server(
            process: process, http: ports["http"]!, https: ports["https"]!, state: state, exported: exported,
            tlsCA: work + "/tls-ca.pem", errors: errors)
    }

    /// Runs the raw client; returns its responses.
    static func probe(_ port: Int, _ steps: [[String: Any]], tls: (name: String, ca: String)? = nil) throws -> [[String: Any]] {
        let script = String(decoding: try JSONSerialization.data(withJSONObject: steps), as: UTF8.self)
        var arguments = [verifiers + "/http_probe.py", "127.0.0.1", String(port), script]
        if let tls { arguments += ["--tls", tls.name, tls.ca] }
        let result = try run(TDXEvidenceTests.python, arguments)
        #expect(result.status == 0, "\(result.stderr)")
        return (try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]]) ?? []
    }

    static func file(_ path: String) throws -> [UInt8] { Array(try Data(contentsOf: URL(fileURLWithPath: path))) }

    static func body(_ response: [String: Any]) -> [UInt8] { [UInt8](hex: response["body"] as? String ?? "") ?? [] }

    static func header(_ response: [String: Any], _ name: String) -> String? {
        (response["headers"] as? [String: String])?[name.lowercased()]
    }

    @Test func everyEndpointAnswersWithTheBytesTheExportsHold() throws {
        let server = try Self.startServer(extra: ["--verbose"])
        var stopped = false
        defer { if !stopped { server.stop() } }
        let e = server.exported
        let chip = try Self.file(e + "/Milan/ark.pem")  // read to check the export exists
        #expect(!chip.isEmpty)
        let paths: [[String: Any]] = [
            ["get": "/tdx/certification/v4/tcb?fmspc=90C06F000000&update=standard"],
            ["get": "/tdx/certification/v4/qe/identity?update=standard"],
            ["get": "/sgx/certification/v4/pckcrl?ca=platform&encoding=der"],
            ["get": "/sgx/certification/v4/pckcrl?ca=platform"],
            ["get": "/IntelSGXRootCA.der", "host": "certificates.trustedservices.intel.com"],
            ["get": "/sgx/certification/v4/rootcacrl"],
            ["get": "/sgx/certification/v4/pckcrl?ca=PLATFORM", "host": "localhost"],
            ["get": "/sgx/certification/v4/crl?uri=https%3A%2F%2Fcertificates.trustedservices.intel.com%2FIntelSGXRootCA.der"],
            ["get": "/vcek/v1/Milan/cert_chain"],
            ["get": "/vlek/v1/Milan/cert_chain"],
            ["get": "/vcek/v1/Milan/crl"],
            ["get": "/health"],
            ["get": "/sgx/certification/v4/tcb?fmspc=90c06f000000"],
            ["get": "/sgx/certification/v4/qe/identity"],
        ]
        let answers = try Self.probe(server.http, paths)
        try #require(answers.count == paths.count)
        #expect(answers.allSatisfy { $0["status"] as? Int == 200 }, "\(answers.map { $0["status"] ?? "-" })")
        #expect(Self.body(answers[0]) == (try Self.file(e + "/tcb-info.json")))
        #expect(
            Self.header(answers[0], "TCB-Info-Issuer-Chain")?.removingPercentEncoding
                == String(decoding: try Self.file(e + "/tcb-signing-chain.pem"), as: UTF8.self))
        #expect(Self.header(answers[0], "TCB-Info-Issuer-Chain")?.hasSuffix("%0A") == true, "QCNL needs a final escape")
        #expect(Self.header(answers[0], "TCB-Info-Issuer-Chain")?.contains("+") == false, "Go reads + as a space")
        #expect(Self.header(answers[0], "Request-ID")?.isEmpty == false)
        #expect(Self.body(answers[1]) == (try Self.file(e + "/qe-identity.json")))
        #expect(
            Self.header(answers[1], "SGX-Enclave-Identity-Issuer-Chain")?.removingPercentEncoding
                == String(decoding: try Self.file(e + "/tcb-signing-chain.pem"), as: UTF8.self))
        let pckCRL = try Self.file(e + "/pck-platform.crl")
        #expect(Self.body(answers[2]) == pckCRL)
        #expect(
            Self.header(answers[2], "SGX-PCK-CRL-Issuer-Chain")?.removingPercentEncoding
                == String(decoding: try Self.file(e + "/pck-crl-issuer-chain.pem"), as: UTF8.self))
        let pem = String(decoding: Self.body(answers[3]), as: UTF8.self)
        #expect(pem.hasPrefix("-----BEGIN X509 CRL-----\n") && pem.hasSuffix("-----END X509 CRL-----\n"))
        let base64 = pem.split(separator: "\n").dropFirst().dropLast().joined()
        #expect(Data(base64Encoded: base64).map(Array.init) == pckCRL)
        let rootCRL = try Self.file(e + "/root-ca.crl")
        #expect(Self.body(answers[4]) == rootCRL)
        #expect(String(decoding: Self.body(answers[5]), as: UTF8.self) == TDXEvidenceTests.hex(rootCRL), "PCCS: hex")
        #expect(String(decoding: Self.body(answers[6]), as: UTF8.self) == TDXEvidenceTests.hex(pckCRL), "PCCS: hex pckcrl")
        #expect(Self.body(answers[7]) == rootCRL)
        #expect(Self.body(answers[8]) == (try Self.file(e + "/Milan/ask_ark.pem")))
        #expect(
            String(decoding: Self.body(answers[9]), as: UTF8.self).hasSuffix(
                String(decoding: try Self.file(e + "/Milan/ark.pem"), as: UTF8.self)))
        #expect(Self.body(answers[10]) == (try Self.file(e + "/Milan/crl.der")))
        #expect(String(decoding: Self.body(answers[11]), as: UTF8.self) == "ok\n")
        #expect(Self.body(answers[12]) == (try Self.file(e + "/sgx-tcb-info.json")))
        #expect(Self.body(answers[13]) == (try Self.file(e + "/sgx-qe-identity.json")))
        // Each signed body, checked independently: its signature over the inner object's bytes, the
        // chain in its header, and the ids and versions PCS gives each kind.
        for (index, expected) in [(0, "TDX 3"), (1, "TD_QE 2"), (12, "SGX 3"), (13, "QE 2")] {
            let work = makeTemporaryDirectory("tsmfs-signed")
            try Data(Self.body(answers[index])).write(to: URL(fileURLWithPath: work + "/body.json"))
            let chain = Self.header(
                answers[index], index == 0 || index == 12 ? "TCB-Info-Issuer-Chain" : "SGX-Enclave-Identity-Issuer-Chain")
            try (chain?.removingPercentEncoding ?? "").write(toFile: work + "/chain.pem", atomically: false, encoding: .utf8)
            let check = try run(
                TDXEvidenceTests.python, [Self.verifiers + "/signed_json_check.py", work + "/body.json", work + "/chain.pem"])
            #expect(check.status == 0, "\(expected): \(check.stdout)\(check.stderr)")
            let verdict = try JSONSerialization.jsonObject(with: Data(check.stdout.utf8)) as? [String: Any]
            #expect("\(verdict?["id"] ?? "-") \(verdict?["version"] ?? "-")" == expected)
        }

        // What the services do not have, or cannot parse, gets their status codes.
        let refusals: [(String, Int)] = [
            ("/tdx/certification/v4/tcb?fmspc=112233445566", 404), ("/tdx/certification/v4/tcb?fmspc=90C06F", 400),
            ("/tdx/certification/v4/tcb", 400), ("/tdx/certification/v4/tcb?fmspc=90C06F000000&update=never", 400),
            ("/sgx/certification/v4/tcb?fmspc=112233445566", 404), ("/sgx/certification/v4/pckcrl", 400),
            ("/sgx/certification/v4/pckcrl?ca=processor", 404), ("/sgx/certification/v4/qve/identity", 404),
            ("/vcek/v1/Turin/cert_chain", 404), ("/vcek/v1/Atlantis/cert_chain", 404),
            ("/vcek/v1/Milan/\(String(repeating: "ab", count: 64))?blSPL=1", 404), ("/vcek/v1/Milan/abcd", 404),
            ("/sgx/certification/v4/crl?uri=https%3A%2F%2Fexample.com%2Fx.crl", 400), ("/nothing/here", 404),
        ]
        let refused = try Self.probe(server.http, refusals.map { ["get": $0.0] })
        for ((path, status), answer) in zip(refusals, refused) {
            #expect(answer["status"] as? Int == status, "\(path): \(answer["status"] ?? "-")")
        }
        let methods = try Self.probe(server.http, [["get": "/tdx/certification/v4/qe/identity", "method": "DELETE"]])
        #expect(methods.first?["status"] as? Int == 405)
        // --verbose: one line per request, with its status.
        server.stop()
        stopped = true
        let log = server.remainingLog()
        #expect(log.contains(#""GET /health" host=127.0.0.1 200 3"#), "\(log.suffix(500))")
        #expect(log.contains(#""DELETE /tdx/certification/v4/qe/identity" host=127.0.0.1 405"#))
    }

    /// Over HTTPS the server presents a certificate for the vendors' names from the simulated TLS
    /// CA, which a default TLS client accepts once told to trust that CA.
    @Test func httpsAnswersAsTheVendorsHostNames() throws {
        let server = try Self.startServer()
        defer { server.stop() }
        let ca = try String(contentsOfFile: server.tlsCA, encoding: .utf8)
        #expect(ca.hasPrefix("-----BEGIN CERTIFICATE-----"))
        let subject = try shell("openssl x509 -noout -subject -in \(server.tlsCA)")
        #expect(subject.stdout.contains("tsmfs Simulated TLS CA"), "\(subject.stdout)")
        for name in [
            "api.trustedservices.intel.com", "certificates.trustedservices.intel.com", "kdsintf.amd.com", "pccs.phala.network",
        ] {
            let answers = try Self.probe(server.https, [["get": "/health", "host": name]], tls: (name, server.tlsCA))
            #expect(answers.first?["status"] as? Int == 200, "\(name): \(answers)")
        }
        let wrongName = try run(
            TDXEvidenceTests.python,
            [
                Self.verifiers + "/http_probe.py", "127.0.0.1", String(server.https), #"[{"get": "/health"}]"#, "--tls",
                "example.com", server.tlsCA,
            ])
        #expect(wrongName.status != 0, "a name the certificate does not carry must fail verification")
    }

    /// dcap-qvl, unmodified, fetches a quote's collateral from the server as its PCCS and verifies
    /// the quote against the exported root; after a TCB recovery the platform is out of date.
    @Test func dcapQvlFetchesCollateralFromTheService() throws {
        let state = makeTemporaryDirectory("tsmfs-state")
        let server = try Self.startServer(state: state)
        defer { server.stop() }
        let quote = makeTemporaryDirectory("tsmfs-quote") + "/quote"
        try withMount(provider: "tdx", config: "[tsmfs]\nprovider = \"tdx\"\nstate_dir = \"\(state)\"\n") { fs in
            try Data(try TDXEvidenceTests.takeQuote(fs, nonce: nonce)).write(to: URL(fileURLWithPath: quote))
        }
        func verdict() throws -> [String: Any] {
            let result = try run(
                TDXEvidenceTests.python,
                [
                    Self.verifiers + "/dcap_qvl_online.py", quote, server.exported + "/intel-sgx-root-ca.der",
                    "http://127.0.0.1:\(server.http)",
                ])
            return (try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]) ?? [
                "error": result.stderr
            ]
        }
        let before = try verdict()
        #expect(before["verified"] as? Bool == true && before["status"] as? String == "UpToDate", "\(before)")
        let recovery = try Self.probe(server.http, [["get": "/tsmfs/tcb-recovery", "method": "POST"]])
        #expect(recovery.first?["status"] as? Int == 200)
        let after = try verdict()
        #expect(after["verified"] as? Bool == true && after["status"] as? String == "OutOfDate", "\(after)")
    }

    /// An SNP report's VCEK, certificate chain and CRL come from the KDS endpoints — the VCEK by the
    /// report's CHIP_ID and reported TCB, its SPLs zero-padded as snpguest sends them — and verify.
    @Test func kdsAnswersVerifyAnSNPReport() throws {
        let state = makeTemporaryDirectory("tsmfs-state")
        let server = try Self.startServer(state: state)
        defer { server.stop() }
        var report: [UInt8] = []
        try withMount(provider: "sev", config: "[tsmfs]\nprovider = \"sev\"\nstate_dir = \"\(state)\"\n") { fs in
            let entry = try fs.makeEntry()
            try Sys.writeFile(entry + "/inblob", nonce)
            report = try Sys.readFile(entry + "/outblob")
        }
        let chip = TDXEvidenceTests.hex(Array(report[0x1A0..<0x1E0]))
        let tcb = Array(report[0x180..<0x188])
        let query = String(format: "blSPL=%02d&teeSPL=%02d&snpSPL=%02d&ucodeSPL=%02d", tcb[0], tcb[1], tcb[6], tcb[7])
        let answers = try Self.probe(
            server.https,
            [["get": "/vcek/v1/Milan/cert_chain"], ["get": "/vcek/v1/Milan/\(chip)?\(query)"], ["get": "/vcek/v1/Milan/crl"]],
            tls: ("kdsintf.amd.com", server.tlsCA))
        try #require(
            answers.count == 3 && answers.allSatisfy { $0["status"] as? Int == 200 }, "\(answers.map { $0["status"] ?? "-" })")
        let work = makeTemporaryDirectory("tsmfs-kds")
        let names = ["chain.pem", "vcek.der", "crl.der"]
        for (name, answer) in zip(names, answers) {
            try Data(Self.body(answer)).write(to: URL(fileURLWithPath: work + "/" + name))
        }
        try Data(report).write(to: URL(fileURLWithPath: work + "/report"))
        let check = try run(
            TDXEvidenceTests.python,
            [Self.verifiers + "/kds_snp_check.py", work + "/report"] + names.map { work + "/" + $0 } + [
                server.exported + "/Milan/ark.pem"
            ])
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
        // Another TCB is not one the simulated chip reports.
        let other = try Self.probe(server.http, [["get": "/vcek/v1/Milan/\(chip)?blSPL=99"]])
        #expect(other.first?["status"] as? Int == 404)
    }

    /// Malformed requests, oversized headers and silent clients are answered or dropped, and the
    /// server keeps serving.
    @Test func hostileClientsAreDroppedNotServed() throws {
        let server = try Self.startServer(extra: ["--idle-timeout-ms", "300"])
        defer { server.stop() }
        let garbage = try Self.probe(server.http, [["raw": "\u{01}\u{02} not http at all\r\n\r\n"], ["read": true]])
        #expect((garbage.first?["data"] as? String)?.hasPrefix("HTTP/1.1 400") ?? false, "\(garbage)")
        let oversized = try Self.probe(
            server.http, [["raw": "GET /health HTTP/1.1\r\nHost: x\r\n"], ["fill": 1_000_000], ["read": true]])
        #expect(!((oversized.first?["data"] as? String)?.contains("200 OK") ?? true), "an oversized header is not served")
        // A client that sends half a request and then nothing is closed after the idle timeout.
        let silent = try Self.probe(server.http, [["raw": "GET /health HTTP/1.1\r\n"], ["read": true]])
        #expect(silent.first?["closed"] as? Bool == true)
        let health = try Self.probe(server.http, [["get": "/health"]])
        #expect(health.first?["status"] as? Int == 200)
    }

    /// `tsmfs exec --services`: the vendors' names resolve to the services inside, their TLS CA is
    /// trusted, and dcap-qvl in its default online mode verifies a quote with collateral from them;
    /// names outside the list do not resolve.
    @Test func execServicesMakesTheAttestationWorldHermetic() throws {
        let state = makeTemporaryDirectory("tsmfs-state")
        let work = makeTemporaryDirectory("tsmfs-hermetic")
        #expect(
            try run(TSMFSBinary.path, ["roots", "--provider", "tdx", "--state-dir", state, "--out", work + "/trust"]).status == 0)
        let python = TDXEvidenceTests.python
        let script = """
            r=/sys/kernel/config/tsm/report
            mkdir $r/q; head -c 64 /dev/zero > $r/q/inblob; cat $r/q/outblob > \(work)/quote
            for where in default pcs https://localhost:8081/sgx/certification/v4/; do
              \(python) \(Self.verifiers)/dcap_qvl_online.py \(work)/quote \(work)/trust/intel-sgx-root-ca.der $where
            done > \(work)/verdicts
            \(python) -c 'import socket
            for name in ("kdsintf.amd.com", "api.trustedservices.intel.com", "example.com", "deb.debian.org"):
                try: print(name, socket.getaddrinfo(name, 443)[0][4][0])
                except OSError: print(name, "unresolved")' > \(work)/names
            \(python) -c 'import urllib.request
            print(urllib.request.urlopen("https://kdsintf.amd.com/vcek/v1/Milan/cert_chain").status)' > \(work)/kds
            """
        let result = try run(
            TSMFSBinary.path, ["exec", "--provider", "tdx", "--services", "--state-dir", state, "--", "sh", "-ec", script])
        #expect(result.status == 0, "\(result.stderr)")
        let verdicts = try String(contentsOfFile: work + "/verdicts", encoding: .utf8).split(separator: "\n")
        #expect(verdicts.count == 3)
        for verdict in verdicts { #expect(verdict.contains(#""verified": true, "status": "UpToDate""#), "\(verdict)") }
        #expect(
            try String(contentsOfFile: work + "/names", encoding: .utf8)
                == "kdsintf.amd.com 127.0.0.1\napi.trustedservices.intel.com 127.0.0.1\nexample.com unresolved\ndeb.debian.org unresolved\n"
        )
        #expect(try String(contentsOfFile: work + "/kds", encoding: .utf8) == "200\n")
    }

    /// `tsmfs mount --serve` answers beside the mount and stops with it.
    @Test func mountServeAnswersBesideTheMount() throws {
        let state = makeTemporaryDirectory("tsmfs-state")
        // A free port: bind one, note it, release it for the daemon.
        let probe = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(probe, $0, length) } }
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(probe, $0, &length) }
        }
        let port = Int(UInt16(bigEndian: address.sin_port))
        close(probe)
        try withMount(
            provider: "tdx", config: "[tsmfs]\nprovider = \"tdx\"\nstate_dir = \"\(state)\"\n",
            arguments: ["--serve", "127.0.0.1:\(port)"]
        ) { _ in
            let answers = try Self.probe(port, [["get": "/health"], ["get": "/tdx/certification/v4/qe/identity"]])
            #expect(answers.map { $0["status"] as? Int } == [200, 200])
        }
        let stopped = try run(TDXEvidenceTests.python, [Self.verifiers + "/http_probe.py", "127.0.0.1", String(port), "[]"])
        #expect(stopped.status != 0, "the services stop with the mount")
    }
}
