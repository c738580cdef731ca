import AirlockEvents

/// How the HTTP proxy resolves a name for a sandbox. The composition root (`airlock serve`,
/// `airlock http-proxy`) hands it the DNS core's resolver, which sends each lookup through Airlock's
/// own DNS path as that sandbox's query; the HTTP proxy knows nothing of the DNS server.
public protocol NameResolver: Sendable {
    /// Resolves `name` (A, then AAAA when there is none) as `client` would; `reply` runs once, on the
    /// resolver's thread.
    func resolve(_ name: DNSName, for client: Endpoint, reply: @escaping @Sendable (ResolveOutcome) -> Void)
}

/// What Airlock's DNS path said about a name the proxy resolved for a client.
public enum ResolveOutcome: Sendable, Equatable {
    /// Addresses from the answer (A first, then AAAA), and the answer's smallest TTL.
    case addresses([IPAddress], ttl: UInt32)
    /// The DNS policy or the detection engine refused the name (rule id and reason from the DNS log).
    case refused(rule: String, reason: String)
    /// No usable answer: NXDOMAIN, SERVFAIL, no address records, or a timeout.
    case failed(String)
}
