import AirlockEvents

/// How to answer a client: which transport, who asked, where the query arrived, and the socket or
/// connection the server answers on (opaque to the core; meaningful to the server only).
public struct ClientHandle: Hashable, Sendable {
    public var transport: Transport
    /// The client's address and port.
    public var peer: Endpoint
    /// The proxy address the query was sent to (its listening socket).
    public var local: Endpoint
    /// The server's handle for the socket (UDP) or connection (TCP) to answer on.
    public var channel: UInt64

    public init(transport: Transport, peer: Endpoint, local: Endpoint, channel: UInt64) {
        self.transport = transport
        self.peer = peer
        self.local = local
        self.channel = channel
    }
}

/// A query to send upstream: the core chose the server, transport and ID; the server picks the socket.
public struct UpstreamQuery: Sendable {
    public var upstream: Endpoint
    public var transport: Transport
    /// The query ID written into ``bytes`` (random per attempt).
    public var id: UInt16
    /// The query written for the upstream (``UpstreamQueryWriter``: the question in lower case, a clean
    /// OPT record) with the upstream ID in place; never the client's bytes.
    public var bytes: [UInt8]
}

/// What the server must do after the core handled an event.
public enum ProxyAction: Sendable {
    /// Send `bytes` to the client (a block, a cached or forwarded answer, FORMERR, SERVFAIL).
    case respond(ClientHandle, [UInt8])
    /// Send a query upstream.
    case forward(UpstreamQuery)
    /// Nothing to send (dropped, or waiting for the upstream).
    case none
}
