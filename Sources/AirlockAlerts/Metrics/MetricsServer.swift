import AirlockSystem
import Foundation

/// A tiny HTTP/1.1 server for Prometheus scrapes: `GET /metrics` answers the registry's text, every
/// other path 404, every other method 405. One connection at a time on one thread; requests over
/// 8 KiB or slower than 2 s are dropped. Binds loopback by default: metrics name domains and
/// sandboxes, which is not for everyone on the network.
public final class MetricsServer: @unchecked Sendable {
    public let host: String
    public let port: UInt16
    private let listener: TCPListener
    private let metrics: Metrics
    private let stopped = NSCondition()
    private var stopRequested = false
    private var finished = false

    /// Binds at once (so a taken port is an error at start-up) and serves on a background thread.
    public init(host: String = "127.0.0.1", port: UInt16 = 9464, metrics: Metrics) throws(SystemError) {
        self.host = host
        self.listener = try TCPListener(host: host, port: port)
        self.port = listener.port
        self.metrics = metrics
        let thread = Thread { [self] in self.serve() }
        thread.name = "airlock-metrics"
        thread.start()
    }

    public func stop() {
        stopped.lock()
        stopRequested = true
        while !finished { _ = stopped.wait(until: Date().addingTimeInterval(0.2)) }
        stopped.unlock()
        listener.close()
    }

    private var shouldStop: Bool {
        stopped.lock()
        defer { stopped.unlock() }
        return stopRequested
    }

    private func serve() {
        while !shouldStop {
            guard let connection = try? listener.accept(timeoutMilliseconds: 200) else { continue }
            handle(connection)
            connection.close()
        }
        stopped.lock()
        finished = true
        stopped.broadcast()
        stopped.unlock()
    }

    private func handle(_ connection: TCPConnection) {
        var request: [UInt8] = []
        let deadline = Date().addingTimeInterval(2)
        while !request.containsHeaderEnd {
            guard request.count < 8192, Date() < deadline,
                let chunk = try? connection.receive(max: 4096, timeoutMilliseconds: 500), !chunk.isEmpty
            else { return }
            request += chunk
        }
        let line = String(decoding: request.prefix { $0 != 0x0D && $0 != 0x0A }, as: UTF8.self)
        let parts = line.split(separator: " ")
        let response: (Int, String, String)
        if parts.count != 3 || !parts[2].hasPrefix("HTTP/1.") {
            response = (400, "Bad Request", "bad request\n")
        } else if parts[0] != "GET" && parts[0] != "HEAD" {
            response = (405, "Method Not Allowed", "only GET\n")
        } else if parts[1] == "/metrics" || parts[1].hasPrefix("/metrics?") {
            response = (200, "OK", metrics.render())
        } else {
            response = (404, "Not Found", "try /metrics\n")
        }
        let body = Array(response.2.utf8)
        let contentType = response.0 == 200 ? "text/plain; version=0.0.4; charset=utf-8" : "text/plain; charset=utf-8"
        var head = "HTTP/1.1 \(response.0) \(response.1)\r\nContent-Type: \(contentType)\r\n"
        head += "Content-Length: \(body.count)\r\nConnection: close\r\n\r\n"
        let bytes = Array(head.utf8) + (parts.first == "HEAD" ? [] : body)
        try? connection.send(bytes, timeoutMilliseconds: 2000)
    }
}

extension Array where Element == UInt8 {
    /// Whether an HTTP head is complete (CRLF CRLF seen).
    var containsHeaderEnd: Bool { headerEndIndex != nil }

    /// Index just past the blank line ending an HTTP head.
    var headerEndIndex: Int? {
        guard count >= 4 else { return nil }
        for i in 0...(count - 4) where self[i] == 13 && self[i + 1] == 10 && self[i + 2] == 13 && self[i + 3] == 10 {
            return i + 4
        }
        return nil
    }
}
