import AirlockEvents

/// What the server must do after the connection machine handled an event, in order.
public enum ConnectionAction: Sendable, Equatable {
    /// Queue bytes toward the client.
    case sendClient([UInt8])
    /// Queue bytes toward the upstream.
    case sendUpstream([UInt8])
    /// Resolve a name through Airlock's DNS path, as the client (answer with ``ConnectionMachine/resolved(_:now:)``).
    case resolve(DNSName)
    /// Open a TCP connection (answer with `upstreamConnected` or `upstreamFailed`).
    case connect(Endpoint)
    /// From now on copy bytes both ways untouched, reporting counts with `tunnelTraffic`.
    case relay
    /// Close the upstream connection (the client connection stays).
    case closeUpstream
    /// Flush what is queued for the client, then close both connections.
    case close
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
