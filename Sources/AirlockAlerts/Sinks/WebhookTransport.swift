import AirlockEvents
import AirlockSystem
import AirlockTLSClient

/// An `http://` or `https://host[:port]/path` URL, parsed and checked at start-up.
public struct WebhookURL: Sendable, Equatable, CustomStringConvertible {
    public var scheme: String
    public var host: String
    public var port: UInt16
    public var path: String

    /// Whether delivery goes over TLS.
    public var isHTTPS: Bool { scheme == "https" }
    /// 443 for https, 80 for http: the port a `Host` header leaves out.
    public var defaultPort: UInt16 { isHTTPS ? 443 : 80 }

    /// Parses `http(s)://host[:port][/path]` (IPv6 hosts in brackets). A failure with a reason otherwise.
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
        let port: UInt16
        let host: String
        switch HostPort.parse(authority, defaultPort: scheme == "https" ? 443 : 80) {
        case .success(let parsed):
            (host, port) = (parsed.host, parsed.port)
        case .failure(.badPort):
            return .failure(.port(text))
        case .failure:
            return .failure(.host(text))
        }
        // An IPv6 literal only in brackets: `http://::1` is no URL.
        guard !host.isEmpty, !host.contains(":") || authority.hasPrefix("["),
            host.allSatisfy({ $0.isLetter || $0.isNumber || "-._:".contains($0) })
        else {
            return .failure(.host(text))
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
/// For `https://` URLs the same request goes through a ``TLSClientConnection`` on that socket,
/// verified against `tls` before a byte of the request is written; a refused certificate fails
/// the batch like an outage (retried with backoff, kept in the spool), never a fallback to plain.
final class WebhookTransport: AlertTransport, @unchecked Sendable {
    let url: WebhookURL
    let headers: [(String, String)]
    let timeoutMilliseconds: Int
    /// Present exactly when the URL is https.
    let tls: TLSClientContext?

    init(url: WebhookURL, headers: [(String, String)], timeoutMilliseconds: Int, tls: TLSClientContext? = nil) {
        precondition(url.isHTTPS == (tls != nil), "an https webhook needs a TLS context, an http one none")
        self.url = url
        self.headers = headers
        self.timeoutMilliseconds = timeoutMilliseconds
        self.tls = tls
    }

    func send(_ batch: [SpoolRecord]) throws(DeliveryError) {
        var body: [UInt8] = [0x5B]
        for (i, record) in batch.enumerated() {
            if i > 0 { body.append(0x2C) }
            body += record.payload
        }
        body.append(0x5D)
        let hostHeader =
            (url.host.contains(":") ? "[\(url.host)]" : url.host) + (url.port == url.defaultPort ? "" : ":\(url.port)")
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
        var session: TLSClientConnection?
        if let tls {
            do {
                session = try TLSClientConnection(
                    fd: connection.fd, host: url.host, context: tls, timeoutMilliseconds: timeoutMilliseconds)
            } catch {
                throw .tls(error)
            }
        }
        defer { session?.close() }  // runs before the socket's close above
        let stream = Stream(plain: connection, tls: session)
        var response: [UInt8] = []
        try stream.write(Array(head.utf8) + body, timeoutMilliseconds: timeoutMilliseconds)
        while response.headerEndIndex == nil {
            let chunk = try stream.read(max: 4096, timeoutMilliseconds: timeoutMilliseconds)
            if chunk.isEmpty { break }
            response += chunk
            if response.count > 65536 { break }
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

    /// The socket itself (http) or the TLS session on it (https), with errors as delivery errors.
    private struct Stream {
        let plain: TCPConnection
        let tls: TLSClientConnection?

        func write(_ bytes: [UInt8], timeoutMilliseconds: Int) throws(DeliveryError) {
            if let tls {
                do { try tls.write(bytes, timeoutMilliseconds: timeoutMilliseconds) } catch { throw .tls(error) }
            } else {
                do { try plain.send(bytes, timeoutMilliseconds: timeoutMilliseconds) } catch { throw .system(error) }
            }
        }

        func read(max: Int, timeoutMilliseconds: Int) throws(DeliveryError) -> [UInt8] {
            if let tls {
                do { return try tls.read(max: max, timeoutMilliseconds: timeoutMilliseconds) } catch { throw .tls(error) }
            }
            do { return try plain.receive(max: max, timeoutMilliseconds: timeoutMilliseconds) } catch { throw .system(error) }
        }
    }
}
