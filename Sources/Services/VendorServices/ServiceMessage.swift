/// One request as the services see it: what the HTTP layer decoded, nothing of NIO.
public struct ServiceRequest: Sendable {
    public var method: String
    /// The path without the query, percent-decoding left to each route.
    public var path: String
    /// Query parameters, names as sent (lookups are case-sensitive, as PCS's are).
    public var query: [String: String]
    /// The Host header without its port, lowercased.
    public var host: String
    /// Whether the peer is on this machine (administrative routes answer nobody else).
    public var fromLoopback: Bool
    /// The local port the request arrived on.
    public var port: Int

    public init(method: String, target: String, host: String, fromLoopback: Bool, port: Int = 443) {
        self.method = method
        self.port = port
        let parts = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        self.path = String(parts.first ?? "")
        var query: [String: String] = [:]
        if parts.count == 2 {
            for pair in parts[1].split(separator: "&") {
                let field = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                let name = PercentEncoding.decode(String(field[0]))
                query[name] = field.count == 2 ? PercentEncoding.decode(String(field[1])) : ""
            }
        }
        self.query = query
        self.host = String(host.split(separator: ":").first ?? "").lowercased()
        self.fromLoopback = fromLoopback
    }
}

/// One response: status, headers in order, body.
public struct ServiceResponse: Sendable, Equatable {
    public var status: Int
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]

    public init(status: Int, headers: [(name: String, value: String)] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public static func == (lhs: ServiceResponse, rhs: ServiceResponse) -> Bool {
        lhs.status == rhs.status && lhs.body == rhs.body
            && lhs.headers.map { "\($0.name): \($0.value)" } == rhs.headers.map { "\($0.name): \($0.value)" }
    }

    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    static func content(_ body: [UInt8], type: String, headers: [(name: String, value: String)] = []) -> ServiceResponse {
        ServiceResponse(status: 200, headers: [("Content-Type", type)] + headers, body: body)
    }

    /// An error with a short text body, as the services answer: the status says what happened.
    static func failure(_ status: Int, _ message: String, headers: [(name: String, value: String)] = []) -> ServiceResponse {
        ServiceResponse(status: status, headers: [("Content-Type", "text/plain")] + headers, body: Array((message + "\n").utf8))
    }
}

/// RFC 3986 percent-encoding as the vendor services use it in issuer-chain headers.
public enum PercentEncoding {
    /// Every byte outside `A–Z a–z 0–9 . _ ~ -` as `%XX`: Go's QueryUnescape would read a `+` as a
    /// space, and Intel's QCNL drops the last two characters unless the value ends in an escape,
    /// which the final newline's `%0A` provides.
    public static func encode(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"), UInt8(ascii: "-"):
                out.unicodeScalars.append(UnicodeScalar(byte))
            default:
                out += "%" + String(byte >> 4, radix: 16, uppercase: true) + String(byte & 0xF, radix: 16, uppercase: true)
            }
        }
        return out
    }

    /// `%XX` decoded; anything malformed is kept as written.
    public static func decode(_ text: String) -> String {
        var bytes: [UInt8] = []
        var input = Array(text.utf8)[...]
        while let byte = input.popFirst() {
            if byte == UInt8(ascii: "%"), input.count >= 2,
                let value = UInt8(String(decoding: input.prefix(2), as: UTF8.self), radix: 16)
            {
                bytes.append(value)
                input = input.dropFirst(2)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
