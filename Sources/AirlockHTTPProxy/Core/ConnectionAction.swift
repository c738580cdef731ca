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
