import Assembly
import Foundation
import Glibc
import Logging
import ServiceHTTP
import VendorServices

/// `tsmfs exec --services`: inside exec's private mount and network namespaces, the vendor
/// services answer for the vendors' host names. Loopback is brought up and is the only network;
/// a private /etc/hosts maps the names the services answer as to 127.0.0.1; name lookups go to
/// that file alone (a private nsswitch.conf and resolv.conf, the host's resolver sockets
/// covered); the simulated TLS CA is appended to a private copy of the system CA bundle bound
/// over it, and the variables TLS stacks read name that bundle. The server runs in the process
/// that waits for the command, so it lives exactly as long as the command.
enum HermeticServices {
    static let bundle = "/etc/ssl/certs/ca-certificates.crt"
    /// Where other distributions keep the same bundle; each that exists gets the private copy too.
    static let otherBundles = ["/etc/pki/tls/certs/ca-bundle.crt", "/etc/ssl/cert.pem", "/etc/ssl/ca-bundle.pem"]
    /// Where clients expect each service: PCS and KDS on 443 (and 80), a PCCS on 8081.
    static let ports: [(port: Int, tls: Bool)] = [(443, true), (80, false), (8081, true)]

    static func start(_ assembly: ProviderAssembly, placement: NamespacePlacement, verbose: Bool) throws -> ServiceServer {
        try bringLoopbackUp()
        let workspace = try placement.workspaceDirectory("services")
        let identity = try assembly.serviceTLSIdentity()
        try privateFile(
            "/etc/hosts",
            "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n127.0.0.1\t"
                + VendorServices.hostNames.filter { $0 != "localhost" }.joined(separator: " ") + "\n",
            in: workspace, placement: placement)
        try privateFile("/etc/nsswitch.conf", nsswitch(), in: workspace, placement: placement)
        try privateFile(
            "/etc/resolv.conf", "# tsmfs exec --services: no name server; names resolve through /etc/hosts alone\n",
            in: workspace, placement: placement)
        let system = (try? String(contentsOfFile: bundle, encoding: .utf8)) ?? ""
        try privateFile(
            bundle, system + (system.hasSuffix("\n") || system.isEmpty ? "" : "\n") + (try identity.caPEM), in: workspace,
            placement: placement)
        // systemd-resolved and nscd answer over sockets a network namespace does not isolate.
        for resolver in ["/run/systemd/resolve", "/run/nscd"] where access(resolver, F_OK) == 0 {
            _ = mount("tsmfs", resolver, "tmpfs", 0, "mode=0755")
        }
        for name in ["SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"] { setenv(name, bundle, 1) }
        for name in ["HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"] { unsetenv(name) }
        var logger = Logger(label: "tsmfs-services")
        logger.logLevel = verbose ? .trace : .warning
        return try VendorServiceRunner.start(
            assembly, listeners: ports.map { ServiceServer.Listener(host: "127.0.0.1", port: $0.port, tls: $0.tls) },
            verbose: verbose, tlsCAOut: nil, logger: logger)
    }

    /// The host's nsswitch.conf with hosts looked up in files and DNS only.
    static func nsswitch() -> String {
        let original = (try? String(contentsOfFile: "/etc/nsswitch.conf", encoding: .utf8)) ?? ""
        let kept = original.split(separator: "\n").filter { !$0.hasPrefix("hosts:") }.map(String.init)
        return (kept + ["hosts: files dns"]).joined(separator: "\n") + "\n"
    }

    private static func privateFile(_ path: String, _ text: String, in workspace: String, placement: NamespacePlacement) throws {
        let copy = workspace + "/" + (path as NSString).lastPathComponent
        guard FileManager.default.createFile(atPath: copy, contents: Data(text.utf8), attributes: [.posixPermissions: 0o644])
        else { throw CLIError("cannot write \(copy) for tsmfs exec --services") }
        try placement.bind(copy, at: path, as: .file)
    }

    /// `ip link set lo up`, without needing ip(8).
    static func bringLoopbackUp() throws {
        let descriptor = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard descriptor >= 0 else { throw CLIError("cannot open a socket to bring loopback up: \(systemError(errno))") }
        defer { close(descriptor) }
        var request = ifreq()
        withUnsafeMutableBytes(of: &request.ifr_ifrn.ifrn_name) { name in
            for (index, byte) in "lo".utf8.enumerated() { name[index] = byte }
        }
        guard ioctl(descriptor, UInt(SIOCGIFFLAGS), &request) == 0 else {
            throw CLIError("cannot read the loopback interface's flags: \(systemError(errno))")
        }
        request.ifr_ifru.ifru_flags |= Int16(IFF_UP | IFF_RUNNING)
        guard ioctl(descriptor, UInt(SIOCSIFFLAGS), &request) == 0 else {
            throw CLIError("cannot bring the loopback interface up: \(systemError(errno))")
        }
    }
}
