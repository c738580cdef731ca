/// An `http://host[:port]/path` URL, parsed and checked at start-up.
public struct WebhookURL: Sendable, Equatable, CustomStringConvertible {
    public var scheme: String
    public var host: String
    public var port: UInt16
    public var path: String

    /// Parses `http://host[:port][/path]` (IPv6 hosts in brackets). Nil with a reason otherwise.
    public static func parse(_ text: String) -> Result<WebhookURL, WebhookURLError> {
        let lower = text.lowercased()
        let scheme: String
        if lower.hasPrefix("http://") {
            scheme = "http"
        } else if lower.hasPrefix("https://") {
            scheme = "https"
        } else {
            return .failure(.scheme(text))
        }
        let rest = text.dropFirst(scheme.count + 3)
        let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        var path = String(rest.dropFirst(authority.count))
        if path.isEmpty || path.first != "/" { path = "/" + path }
        guard !authority.isEmpty, !authority.contains("@") else { return .failure(.host(text)) }
        var host = Substring(authority)
        var portText: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return .failure(.host(text)) }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if after.hasPrefix(":") { portText = after.dropFirst() } else if !after.isEmpty { return .failure(.host(text)) }
        } else if let colon = authority.lastIndex(of: ":") {
            host = authority[..<colon]
            portText = authority[authority.index(after: colon)...]
        }
        guard !host.isEmpty, host.allSatisfy({ $0.isLetter || $0.isNumber || "-._:".contains($0) }) else {
            return .failure(.host(text))
        }
        var port: UInt16 = scheme == "https" ? 443 : 80
        if let portText {
            guard let p = UInt16(portText), p > 0 else { return .failure(.port(text)) }
            port = p
        }
        guard path.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F }) else { return .failure(.path(text)) }
        return .success(WebhookURL(scheme: scheme, host: String(host), port: port, path: path))
    }

    public var description: String {
        let h = host.contains(":") ? "[\(host)]" : host
        return "\(scheme)://\(h):\(port)\(path)"
    }
}

public enum WebhookURLError: Error, Equatable, Sendable, CustomStringConvertible {
    case scheme(String), host(String), port(String), path(String)

    public var description: String {
        switch self {
        case .scheme(let u): return "'\(u)' must start with http:// or https://"
        case .host(let u): return "'\(u)' has no valid host"
        case .port(let u): return "'\(u)' has an invalid port (1-65535)"
        case .path(let u): return "'\(u)' has spaces or control characters in its path"
        }
    }
}

/// POSTs a batch as one JSON array (`[record,record,…]`) with HTTP/1.1, one connection per batch
/// (`Connection: close`: a receiver that restarts never leaves a stale kept-alive socket). Any 2xx
/// answer accepts the whole batch; anything else, or no answer within the timeout, fails it.
/// Plain http only: the toolchain ships no TLS client this module may use without outside
/// packages, so an `https://` URL is refused at start-up (terminate TLS in a local relay).
final class WebhookTransport: AlertTransport, @unchecked Sendable {
    let url: WebhookURL
    let headers: [(String, String)]
    let timeoutMilliseconds: Int

    init(url: WebhookURL, headers: [(String, String)], timeoutMilliseconds: Int) {
        self.url = url
        self.headers = headers
        self.timeoutMilliseconds = timeoutMilliseconds
    }

    func send(_ batch: [SpoolRecord]) throws(DeliveryError) {
        var body: [UInt8] = [0x5B]
        for (i, record) in batch.enumerated() {
            if i > 0 { body.append(0x2C) }
            body += record.payload
        }
        body.append(0x5D)
        let hostHeader = (url.host.contains(":") ? "[\(url.host)]" : url.host) + (url.port == 80 ? "" : ":\(url.port)")
        var head = "POST \(url.path) HTTP/1.1\r\nHost: \(hostHeader)\r\nUser-Agent: airlock-alerts/1\r\n"
        head += "Content-Type: application/json\r\nContent-Length: \(body.count)\r\nConnection: close\r\n"
        head += "X-Airlock-Alert-Count: \(batch.count)\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        head += "\r\n"
        let connection: TCPConnection
        do {
            connection = try TCPConnection.connect(host: url.host, port: url.port, timeoutMilliseconds: timeoutMilliseconds)
        } catch {
            throw .system(error)
        }
        defer { connection.close() }
        var response: [UInt8] = []
        do {
            try connection.send(Array(head.utf8) + body, timeoutMilliseconds: timeoutMilliseconds)
            while response.headerEndIndex == nil {
                let chunk = try connection.receive(max: 4096, timeoutMilliseconds: timeoutMilliseconds)
                if chunk.isEmpty { break }
                response += chunk
                if response.count > 65536 { break }
            }
        } catch {
            throw .system(error)
        }
        let statusLine = String(decoding: response.prefix { $0 != 0x0D && $0 != 0x0A }, as: UTF8.self)
        let parts = statusLine.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), let status = Int(parts[1]) else {
            throw .badResponse(response.isEmpty ? "connection closed without an answer" : "'\(statusLine.prefix(80))'")
        }
        guard (200..<300).contains(status) else {
            throw .http(status: status, reason: parts.count > 2 ? String(parts[2]) : "")
        }
    }

    func close() {}
}
