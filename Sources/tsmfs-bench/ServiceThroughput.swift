import Foundation
import Glibc

/// Collateral requests per second from `tsmfs serve` on loopback, over keep-alive connections: the
/// rate a CI job of verifiers can draw, and the memory the server holds while it does.
extension Bench {
    mutating func serviceThroughput() throws {
        let state = work + "/services-state"
        let server = Process()
        server.executableURL = URL(fileURLWithPath: tsmfs)
        server.arguments = ["serve", "--state-dir", state, "--listen", "127.0.0.1:0"]
        let errors = Pipe()
        server.standardError = errors
        try server.run()
        defer {
            server.terminate()
            server.waitUntilExit()
        }
        var text = ""
        var port: UInt16?
        while port == nil {
            let chunk = errors.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            text += String(decoding: chunk, as: UTF8.self)
            if let range = text.range(of: "at=http://127.0.0.1:") {
                port = UInt16(text[range.upperBound...].prefix { $0.isNumber })
            }
        }
        guard let port else {
            print("vendor services: tsmfs serve did not start: \(text)")
            return
        }
        let path = "/tdx/certification/v4/tcb?fmspc=90C06F000000&update=standard"
        print("vendor services (tsmfs serve, keep-alive GET \(path))")
        print("  connections   requests/s")
        var rates: [Int: Double] = [:]
        for connections in [1, 8] {
            let rate = Self.requestRate(port: port, path: path, connections: connections, seconds: options.seconds)
            rates[connections] = rate
            print(String(format: "  %11d   %10.0f", connections, rate))
        }
        let rss = Self.residentKiB(server.processIdentifier)
        print(String(format: "  server RSS after the runs: %.1f MiB\n", Double(rss) / 1024))
        report["service_requests_per_s"] = rates.reduce(into: [String: Double]()) { $0[String($1.key)] = $1.value }
        report["service_rss_kib"] = rss
        let best = rates.values.max() ?? 0
        printVerdict(best >= 1000, "≥ 1,000 collateral requests/s on loopback with keep-alive: \(Int(best))/s")
        print("")
    }

    /// Requests answered per second by `connections` clients, each on one keep-alive connection.
    static func requestRate(port: UInt16, path: String, connections: Int, seconds: Double) -> Double {
        let deadline = Date().addingTimeInterval(seconds)
        let counts = UnsafeMutableBufferPointer<Int>.allocate(capacity: connections)
        counts.initialize(repeating: 0)
        defer { counts.deallocate() }
        nonisolated(unsafe) let shared = counts
        DispatchQueue.concurrentPerform(iterations: connections) { index in
            let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            defer { close(socket) }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = port.bigEndian
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            guard connected == 0 else { return }
            let request = Array("GET \(path) HTTP/1.1\r\nHost: api.trustedservices.intel.com\r\n\r\n".utf8)
            var buffer = [UInt8](repeating: 0, count: 65536)
            while Date() < deadline {
                guard request.withUnsafeBytes({ send(socket, $0.baseAddress, $0.count, 0) }) == request.count else { return }
                // One response: the head, then Content-Length bytes of body.
                var received: [UInt8] = []
                var expected: Int?
                while expected == nil || received.count < expected! {
                    let count = recv(socket, &buffer, buffer.count, 0)
                    if count <= 0 { return }
                    received += buffer[0..<count]
                    if expected == nil, let end = received.firstRange(of: Array("\r\n\r\n".utf8)) {
                        let head = String(decoding: received[..<end.lowerBound], as: UTF8.self).lowercased()
                        let length =
                            head.split(separator: "\r\n").first { $0.hasPrefix("content-length:") }
                            .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
                        expected = end.upperBound + length
                    }
                }
                shared[index] += 1
            }
        }
        return Double(counts.reduce(0, +)) / seconds
    }

    static func residentKiB(_ pid: Int32) -> Int {
        let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
        return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
    }
}
