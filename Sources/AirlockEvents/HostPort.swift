/// A `host:port` text read the one way every part of Airlock reads it: the command line's
/// `--listen`/`--upstream`, the policy's `dns.upstreams`, the alerts configuration's metrics
/// address and the built-in table of resolver endpoints.
///
/// Forms: `HOST`, `HOST:PORT`, `[IPv6]`, `[IPv6]:PORT`, and a bare IPv6 address (two or more
/// colons, no brackets: never a port). `HOST` may be empty (`:9464`); callers that need an address
/// say so with ``endpoint()``. Port 0 means "any free port": only a listening address may use it
/// (`zeroPort: .allowed`); a destination never has port 0.
public struct HostPort: Hashable, Sendable, CustomStringConvertible {
    /// The host without brackets: an IP literal or a name, as written.
    public var host: String
    public var port: UInt16

    public init(host: String, port: UInt16) {
        self.host = host
        self.port = port
    }

    /// Whether port 0 is accepted.
    public enum ZeroPort: Sendable {
        /// A listening address: the kernel picks a free port.
        case allowed
        /// A destination.
        case refused
    }

    /// Splits `text`. `defaultPort` stands in when the text has no port; without one a port is required.
    public static func parse(
        _ text: some StringProtocol, defaultPort: UInt16? = nil, zeroPort: ZeroPort = .refused
    ) -> Result<HostPort, HostPortError> {
        var host = Substring(text)
        var portText: Substring?
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { return .failure(.missingBracket) }
            let rest = host[host.index(after: close)...]
            host = host[host.index(after: host.startIndex)..<close]
            if !rest.isEmpty {
                guard rest.hasPrefix(":") else { return .failure(.textAfterBracket) }
                portText = rest.dropFirst()
            }
        } else if let colon = host.firstIndex(of: ":"), host[host.index(after: colon)...].firstIndex(of: ":") == nil {
            portText = host[host.index(after: colon)...]
            host = host[..<colon]
        }
        guard let portText else {
            guard let defaultPort else { return .failure(.missingPort) }
            return .success(HostPort(host: String(host), port: defaultPort))
        }
        guard !portText.isEmpty, portText.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let port = UInt16(portText),
            port > 0 || zeroPort == .allowed
        else {
            return .failure(.badPort(String(portText), zeroAllowed: zeroPort == .allowed))
        }
        return .success(HostPort(host: String(host), port: port))
    }

    /// The endpoint, when the host is an IP literal (canonical forms only, as ``IPAddress`` reads them).
    public func endpoint() -> Result<Endpoint, HostPortError> {
        guard let address = IPAddress(host) else { return .failure(.notAnAddress(host)) }
        return .success(Endpoint(address: address, port: port))
    }

    /// `host:port`, with brackets around an IPv6 literal.
    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

/// Why a `host:port` text was refused.
public enum HostPortError: Error, Hashable, Sendable, CustomStringConvertible {
    /// `[2001:db8::1` without its `]`.
    case missingBracket
    /// Something other than `:PORT` after `]`.
    case textAfterBracket
    /// No port and no default for one.
    case missingPort
    /// Not a number in range (0 only where a listening address is meant).
    case badPort(String, zeroAllowed: Bool)
    /// The host is not an IP literal where an address is required.
    case notAnAddress(String)

    public var description: String {
        switch self {
        case .missingBracket: return "missing ']'"
        case .textAfterBracket: return "expected ':PORT' after ']'"
        case .missingPort: return "missing ':PORT'"
        case .badPort(_, let zeroAllowed): return zeroAllowed ? "port must be 0-65535" : "port must be 1-65535"
        case .notAnAddress(let host): return "'\(host)' is not an IP address"
        }
    }
}
