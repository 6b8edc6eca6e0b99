import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization
import VendorServices

/// The vendor services over HTTP/1.1, plain and TLS, on SwiftNIO: keep-alive, one response per
/// request. What a hostile or slow client can cost is bounded: headers by NIO's HTTP parser (80 KiB,
/// else the connection is closed with 400), request bodies are discarded as they arrive, and a
/// connection that sends nothing for the idle timeout (30 s by default) is closed.
public final class ServiceServer: Sendable {
    /// Where to listen, and whether with TLS.
    public struct Listener: Sendable, Hashable, CustomStringConvertible {
        public var host: String
        public var port: Int
        public var tls: Bool

        public init(host: String, port: Int, tls: Bool) {
            self.host = host
            self.port = port
            self.tls = tls
        }

        /// `ADDR:PORT`, `[IPv6]:PORT`; port 0 picks a free one.
        public init?(_ text: String, tls: Bool) {
            guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
                (0...65535).contains(port)
            else { return nil }
            var host = String(text[..<colon])
            if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
            guard !host.isEmpty else { return nil }
            self.init(host: host, port: port, tls: tls)
        }

        public var description: String { "\(tls ? "https" : "http")://\(host.contains(":") ? "[\(host)]" : host):\(port)" }
    }

    public static let defaultIdleTimeout = TimeAmount.seconds(30)

    private let services: VendorServices
    private let tls: NIOSSLContext?
    private let log: (@Sendable (String) -> Void)?
    private let group: MultiThreadedEventLoopGroup
    private let idleTimeout: TimeAmount
    private let channels = Mutex<[any Channel]>([])

    /// - Parameters:
    ///   - certificateChain, privateKeyPEM: the TLS identity (DER certificates, server first).
    ///   - log: told one line per request (`--verbose`).
    public init(
        services: VendorServices, certificateChain: [[UInt8]] = [], privateKeyPEM: String? = nil,
        threads: Int = 2, idleTimeout: TimeAmount = ServiceServer.defaultIdleTimeout, log: (@Sendable (String) -> Void)? = nil
    ) throws {
        self.services = services
        self.idleTimeout = idleTimeout
        self.log = log
        if let privateKeyPEM, !certificateChain.isEmpty {
            let chain = try certificateChain.map {
                NIOSSLCertificateSource.certificate(try NIOSSLCertificate(bytes: $0, format: .der))
            }
            let key = try NIOSSLPrivateKey(bytes: Array(privateKeyPEM.utf8), format: .pem)
            var configuration = TLSConfiguration.makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(key))
            configuration.minimumTLSVersion = .tlsv12
            configuration.applicationProtocols = ["http/1.1"]
            tls = try NIOSSLContext(configuration: configuration)
        } else {
            tls = nil
        }
        group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
    }

    /// Binds every listener; returns the addresses bound (port 0 picks one).
    @discardableResult
    public func start(_ listeners: [Listener]) throws -> [Listener] {
        var bound: [Listener] = []
        for listener in listeners {
            if listener.tls && tls == nil { throw ServiceServerError.noTLSIdentity(listener.description) }
            let channel = try bootstrap(tls: listener.tls ? tls : nil, port: listener.port)
                .bind(host: listener.host, port: listener.port).wait()
            channels.withLock { $0.append(channel) }
            bound.append(Listener(host: listener.host, port: channel.localAddress?.port ?? listener.port, tls: listener.tls))
        }
        return bound
    }

    private func bootstrap(tls: NIOSSLContext?, port: Int) -> ServerBootstrap {
        let services = self.services
        let log = self.log
        let idleTimeout = self.idleTimeout
        return ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls { try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls)) }
                    try channel.pipeline.syncOperations.addHandler(IdleStateHandler(readTimeout: idleTimeout))
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(
                        ServiceHTTPHandler(services: services, localPort: port, log: log))
                }
            }
    }

    /// Closes every listener and stops the threads.
    public func shutdown() {
        let open = channels.withLock { channels in
            defer { channels.removeAll() }
            return channels
        }
        for channel in open { try? channel.close().wait() }
        try? group.syncShutdownGracefully()
    }
}

public enum ServiceServerError: Error, CustomStringConvertible {
    case noTLSIdentity(String)

    public var description: String {
        switch self {
        case .noTLSIdentity(let listener): "\(listener) needs a TLS identity"
        }
    }
}

/// One connection: collects a request's head, discards its body, answers at its end.
final class ServiceHTTPHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let services: VendorServices
    private let localPort: Int
    private let log: (@Sendable (String) -> Void)?
    // Touched only on the channel's event loop.
    private var head: HTTPRequestHead?

    init(services: VendorServices, localPort: Int, log: (@Sendable (String) -> Void)?) {
        self.services = services
        self.localPort = localPort
        self.log = log
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let request): head = request
        case .body: break
        case .end:
            guard let head else { return }
            self.head = nil
            answer(head, context: context)
        }
    }

    private func answer(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        let peer = context.channel.remoteAddress
        let loopback = peer?.ipAddress.map { $0 == "127.0.0.1" || $0 == "::1" || $0.hasPrefix("127.") } ?? false
        let request = ServiceRequest(
            method: head.method.rawValue, target: head.uri, host: head.headers.first(name: "host") ?? "",
            fromLoopback: loopback, port: localPort)
        let response = services.respond(request)
        var headers = HTTPHeaders(response.headers.map { ($0.name, $0.value) })
        headers.replaceOrAdd(name: "Content-Length", value: String(response.body.count))
        let keepAlive = head.isKeepAlive
        headers.replaceOrAdd(name: "Connection", value: keepAlive ? "keep-alive" : "close")
        let status = HTTPResponseStatus(statusCode: response.status)
        context.write(
            wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: status, headers: headers))), promise: nil)
        if head.method != .HEAD {
            context.write(
                wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: response.body)))), promise: nil)
        }
        let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if !keepAlive { done.whenComplete { _ in context.close(promise: nil) } }
        log?(
            "\(peer?.ipAddress ?? "-") \"\(head.method.rawValue) \(head.uri)\" host=\(request.host) \(response.status) \(response.body.count)"
        )
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        // A client that sends nothing for the idle timeout is dropped.
        if event is IdleStateHandler.IdleStateEvent {
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
