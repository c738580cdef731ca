import AirlockEvents

/// How a sandbox is reaching a DNS resolver other than the one Airlock inspects.
///
/// Every kind defeats DNS-based tunnel detection the same way: the queries (and any data encoded
/// in them) never cross Airlock's DNS path. The raw value is a stable id for logs and policy.
public enum ResolverBypassKind: String, Sendable, Hashable, CaseIterable {
    /// DNS-over-HTTPS (RFC 8484): DNS messages inside HTTPS, usually TCP/443, or HTTP/3 on UDP/443.
    case dnsOverHTTPS = "dns-over-https"
    /// DNS-over-TLS (RFC 7858): TCP/853, ALPN `dot` (RFC 7858 / IANA).
    case dnsOverTLS = "dns-over-tls"
    /// DNS-over-QUIC (RFC 9250): UDP/853, ALPN `doq`.
    case dnsOverQUIC = "dns-over-quic"
    /// DNSCrypt v2: its own encrypted UDP/TCP protocol on a resolver-chosen port (often 443, 5443, 8443).
    case dnsCrypt = "dnscrypt"
    /// Ordinary port-53 DNS, but to a public resolver (or any server outside the sanctioned set).
    case plainDNSToOtherResolver = "plain-dns-to-other-resolver"

    /// Short human name used in reasons.
    public var title: String {
        switch self {
        case .dnsOverHTTPS: return "DNS-over-HTTPS"
        case .dnsOverTLS: return "DNS-over-TLS"
        case .dnsOverQUIC: return "DNS-over-QUIC"
        case .dnsCrypt: return "DNSCrypt"
        case .plainDNSToOtherResolver: return "plain DNS to another resolver"
        }
    }
}

/// One fact that supports a bypass verdict: which port, ALPN id or list entry matched.
public enum ResolverBypassEvidence: Sendable, Hashable, CustomStringConvertible {
    /// The destination port is a DNS transport's own (853 for DoT/DoQ, 53 for DNS).
    case dnsPort(UInt16, Transport)
    /// The TLS ClientHello offered an ALPN id that names a DNS transport (`dot`, `doq`).
    case alpn(String)
    /// The destination address is a listed public resolver address.
    case resolverAddress(IPAddress, provider: String)
    /// The SNI matched a listed resolver host name: `entry` is the list entry (`*.`-prefixed when
    /// it covers subdomains), `sni` the name as the client sent it (lower-cased).
    case resolverHostName(sni: String, entry: String, provider: String)
    /// The destination address and port are a listed DNSCrypt server.
    case dnsCryptServer(Endpoint, provider: String)
    /// A DNS query for a DNSCrypt certificate (`2.dnscrypt-cert.<provider>` TXT): the handshake
    /// every DNSCrypt client starts with.
    case dnsCryptCertificateQuery(name: String)

    public var description: String {
        switch self {
        case .dnsPort(let port, let transport): return "port \(transport.rawValue)/\(port)"
        case .alpn(let id): return "ALPN \"\(id)\""
        case .resolverAddress(let address, let provider): return "address \(address) is \(provider)"
        case .resolverHostName(let sni, let entry, let provider):
            return sni == entry ? "SNI \(sni) is \(provider)" : "SNI \(sni) matches \(entry) (\(provider))"
        case .dnsCryptServer(let endpoint, let provider): return "\(endpoint) is a \(provider) DNSCrypt server"
        case .dnsCryptCertificateQuery(let name): return "DNSCrypt certificate query for \(name)"
        }
    }
}

/// A connection or query classified as resolver bypass, with the evidence and a readable reason.
public struct ResolverBypass: Sendable, Hashable, CustomStringConvertible {
    public var kind: ResolverBypassKind
    public var destination: Endpoint
    public var transport: Transport
    /// The facts that matched, the one that decided the kind first.
    public var evidence: [ResolverBypassEvidence]

    public init(
        kind: ResolverBypassKind, destination: Endpoint, transport: Transport, evidence: [ResolverBypassEvidence]
    ) {
        self.kind = kind
        self.destination = destination
        self.transport = transport
        self.evidence = evidence
    }

    /// The operator of the matched list entry, when one matched (host name before address).
    public var provider: String? {
        var fromAddress: String?
        for item in evidence {
            switch item {
            case .resolverHostName(_, _, let provider): return provider
            case .resolverAddress(_, let provider), .dnsCryptServer(_, let provider):
                if fromAddress == nil { fromAddress = provider }
            default: break
            }
        }
        return fromAddress
    }

    /// One line: `DNS-over-TLS to 8.8.8.8:853 over tcp: port tcp/853; address 8.8.8.8 is Google Public DNS`.
    public var reason: String {
        "\(kind.title) to \(destination) over \(transport.rawValue): "
            + evidence.map(\.description).joined(separator: "; ")
    }

    public var description: String { reason }
}
