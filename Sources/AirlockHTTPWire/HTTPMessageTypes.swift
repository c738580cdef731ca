/// The HTTP/1.x versions the proxy speaks.
public enum HTTPVersion: String, Hashable, Sendable {
    case http10 = "HTTP/1.0"
    case http11 = "HTTP/1.1"
}

/// One header field as received: the name as sent (compare with ``HTTPHeader/is(_:)``), the value
/// with surrounding whitespace removed.
public struct HTTPHeader: Hashable, Sendable {
    public var name: String
    public var value: String

    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }

    /// Case-insensitive name comparison with a lower-case literal.
    public func `is`(_ lowerCaseName: String) -> Bool {
        name.utf8.count == lowerCaseName.utf8.count
            && zip(name.utf8, lowerCaseName.utf8).allSatisfy { ByteClass.lower($0) == $1 }
    }
}

/// Where a message body ends.
public enum BodyFraming: Hashable, Sendable {
    /// No body.
    case none
    /// Exactly this many bytes.
    case contentLength(UInt64)
    /// Chunked transfer coding: ``ChunkedBodyDecoder`` finds the end.
    case chunked
    /// Responses only: the body runs until the server closes the connection.
    case untilClose
}

/// A host and port as a request names them: `example.com:443`, `[2001:db8::1]:80`.
public struct HTTPAuthority: Hashable, Sendable, CustomStringConvertible {
    /// Lower-cased host name or IP address, without brackets.
    public var host: String
    public var port: UInt16
    /// The host was written as `[IPv6]`.
    public var isIPv6Literal: Bool

    public init(host: String, port: UInt16, isIPv6Literal: Bool = false) {
        self.host = host
        self.port = port
        self.isIPv6Literal = isIPv6Literal
    }

    /// `host:port`, with brackets around an IPv6 literal.
    public var description: String {
        isIPv6Literal ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    /// The Host header value for this authority (port omitted when it is the scheme's default).
    public func hostHeader(defaultPort: UInt16) -> String {
        let name = isIPv6Literal ? "[\(host)]" : host
        return port == defaultPort ? name : "\(name):\(port)"
    }
}

/// The request target in its four forms (RFC 9112 §3.2).
public enum RequestTarget: Hashable, Sendable {
    /// `http://host[:port]/path?query`: a forward-proxy request. `path` starts with `/`.
    case absolute(HTTPAuthority, path: String)
    /// `host:port`: CONNECT only.
    case authority(HTTPAuthority)
    /// `/path?query`: a request meant for an origin server (transparent mode reads the Host header).
    case origin(path: String)
    /// `*`: OPTIONS for the server as a whole.
    case asterisk
}

/// A parsed request head: everything the proxy decides on, already checked for framing ambiguity.
public struct HTTPRequestHead: Hashable, Sendable {
    public var method: String
    public var target: RequestTarget
    public var version: HTTPVersion
    public var headers: [HTTPHeader]
    public var framing: BodyFraming
    /// Whether the client wants the connection kept after this exchange.
    public var keepAlive: Bool
    /// The Host header's authority (port 80 when absent), nil when there is no Host header.
    public var hostHeader: HTTPAuthority?
    /// Bytes of the head, including leading empty lines and the final blank line.
    public var headLength: Int

    public init(
        method: String, target: RequestTarget, version: HTTPVersion, headers: [HTTPHeader], framing: BodyFraming,
        keepAlive: Bool, hostHeader: HTTPAuthority?, headLength: Int
    ) {
        self.method = method
        self.target = target
        self.version = version
        self.headers = headers
        self.framing = framing
        self.keepAlive = keepAlive
        self.hostHeader = hostHeader
        self.headLength = headLength
    }

    public var isConnect: Bool { method == "CONNECT" }

    /// The first value of a header (case-insensitive name).
    public func value(of lowerCaseName: String) -> String? {
        headers.first { $0.is(lowerCaseName) }?.value
    }

    /// The authority the request is for: the target's, or for origin-form the Host header's.
    public var authority: HTTPAuthority? {
        switch target {
        case .absolute(let authority, _), .authority(let authority): return authority
        case .origin, .asterisk: return hostHeader
        }
    }

    /// The path and query to send upstream (`/` for CONNECT and `*`).
    public var pathAndQuery: String {
        switch target {
        case .absolute(_, let path), .origin(let path): return path
        case .authority: return "/"
        case .asterisk: return "*"
        }
    }
}

/// A parsed response head.
public struct HTTPResponseHead: Hashable, Sendable {
    public var version: HTTPVersion
    public var status: Int
    public var reason: String
    public var headers: [HTTPHeader]
    public var framing: BodyFraming
    /// Whether the server keeps the connection after this response.
    public var keepAlive: Bool
    public var headLength: Int

    /// 1xx (except 101): more heads follow before the final response.
    public var isInterim: Bool { status >= 100 && status < 200 && status != 101 }

    public func value(of lowerCaseName: String) -> String? {
        headers.first { $0.is(lowerCaseName) }?.value
    }
}

/// The outcome of parsing a head from the bytes received so far.
public enum HTTPHeadParseResult<Head: Sendable>: Sendable {
    /// A complete head; the body (if any) starts at `head.headLength`.
    case complete(Head)
    /// A valid prefix: call again with more bytes, from the start.
    case needMoreData
    /// Refused; see the error's status and reason.
    case failure(HTTPParseError)
}

extension HTTPHeadParseResult: Equatable where Head: Equatable {}
