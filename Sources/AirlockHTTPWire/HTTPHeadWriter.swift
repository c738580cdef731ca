/// Serialises the heads the proxy sends: requests forwarded upstream, responses relayed to the
/// client, and the proxy's own answers.
///
/// Forwarded heads drop hop-by-hop fields (RFC 9110 §7.6.1): `Connection` and the fields it names,
/// `Keep-Alive`, `Proxy-Connection`, `Proxy-Authorization` (the sandbox's token must never reach an
/// origin), `Proxy-Authenticate`, `TE`, `Trailer` and `Upgrade` (the proxy does not relay protocol
/// switches). `Connection` may not remove `Host`, `Content-Length` or `Transfer-Encoding`: a client
/// that could strip the framing field from the upstream's copy could desynchronise the two.
public enum HTTPHeadWriter {
    static let hopByHop: Set<String> = [
        "connection", "keep-alive", "proxy-connection", "proxy-authorization", "proxy-authenticate", "te", "trailer",
        "upgrade",
    ]
    static let protected: Set<String> = ["host", "content-length", "transfer-encoding"]

    /// Field names the `Connection` headers list, lower-cased, minus the protected ones.
    static func connectionListed(_ headers: [HTTPHeader]) -> Set<String> {
        var names: Set<String> = []
        for header in headers where header.is("connection") || header.is("proxy-connection") {
            for token in header.value.split(separator: ",") {
                let name = token.trimmingASCIIWhitespace().lowercased()
                if !name.isEmpty && !protected.contains(name) { names.insert(name) }
            }
        }
        return names
    }

    static func keep(_ header: HTTPHeader, dropping listed: Set<String>) -> Bool {
        let name = header.name.lowercased()
        return !hopByHop.contains(name) && !listed.contains(name)
    }

    /// The client's fields a forwarded request carries, in order: every one but `Host` (written
    /// from the target) and the hop-by-hop ones.
    public static func forwardedFields(_ head: HTTPRequestHead) -> [HTTPHeader] {
        let listed = connectionListed(head.headers)
        return head.headers.filter { !$0.is("host") && keep($0, dropping: listed) }
    }

    /// The request head to send upstream: origin-form target, `Host` from `authority`, hop-by-hop
    /// fields removed, and `Connection` saying whether the proxy will reuse the upstream connection.
    public static func forwardedRequest(_ head: HTTPRequestHead, authority: HTTPAuthority, keepAlive: Bool) -> [UInt8] {
        var out = head.method + " " + head.pathAndQuery + " HTTP/1.1\r\n"
        out += "Host: " + authority.hostHeader(defaultPort: 80) + "\r\n"
        for header in forwardedFields(head) {
            out += header.name + ": " + header.value + "\r\n"
        }
        out += keepAlive ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n"
        return Array(out.utf8)
    }

    /// The response head to send the client, hop-by-hop fields removed and `Connection` set.
    public static func relayedResponse(_ head: HTTPResponseHead, keepAlive: Bool) -> [UInt8] {
        var out = "HTTP/1.1 \(head.status) \(head.reason)\r\n"
        let listed = connectionListed(head.headers)
        for header in head.headers where keep(header, dropping: listed) {
            out += header.name + ": " + header.value + "\r\n"
        }
        if !head.isInterim { out += keepAlive ? "Connection: keep-alive\r\n" : "Connection: close\r\n" }
        out += "\r\n"
        return Array(out.utf8)
    }

    /// A complete response made by the proxy itself (a refusal, an error, CONNECT's 200).
    /// Header values are cleaned of CR, LF and other controls so a reason text can never split the head.
    public static func response(
        status: Int, reason: String, headers: [HTTPHeader] = [], body: String = "", keepAlive: Bool
    ) -> [UInt8] {
        var out = "HTTP/1.1 \(status) \(reason)\r\n"
        for header in headers {
            out += header.name + ": " + sanitised(header.value) + "\r\n"
        }
        if status != 200 || !body.isEmpty {
            out += "Content-Type: text/plain; charset=utf-8\r\nContent-Length: \(body.utf8.count)\r\n"
        }
        out += keepAlive ? "Connection: keep-alive\r\n" : "Connection: close\r\n"
        out += "\r\n" + body
        return Array(out.utf8)
    }

    /// Control bytes replaced by spaces, and at most 512 bytes: for values built from untrusted text.
    public static func sanitised(_ value: String) -> String {
        var bytes: [UInt8] = []
        for b in value.utf8.prefix(512) { bytes.append(b < 0x20 || b == 0x7F ? 0x20 : b) }
        return String(decoding: bytes, as: UTF8.self)
    }
}

extension Substring {
    func trimmingASCIIWhitespace() -> Substring {
        var s = self
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
        return s
    }
}
