import AirlockDNSWire
import AirlockEnforcement
import AirlockEvents
import AirlockPipeline
import AirlockPolicy

/// A datagram for ``DNSProxyCore/receiveQueries(_:at:into:)``.
public struct IncomingQuery: Sendable {
    public var bytes: [UInt8]
    public var client: ClientHandle
    /// The datagram did not fit the receive buffer.
    public var oversized: Bool

    public init(bytes: [UInt8], client: ClientHandle, oversized: Bool = false) {
        self.bytes = bytes
        self.client = client
        self.oversized = oversized
    }
}

/// A query checked and decided up to the engine: what the shared inspection needs (under its lock)
/// and what the core needs afterwards to answer or forward it.
struct PreparedQuery {
    var message: DNSMessage
    var question: DNSQuestion
    var bytes: [UInt8]
    var client: ClientHandle
    var time: ProxyTime
    var context: SandboxContext
    /// The policy's list and record-type decision.
    var decision: PolicyDecision
    /// What the upstream query leaves out of the client's.
    var stripped: QueryStripped
    /// The largest answer the client takes (its EDNS size over UDP).
    var udpLimit: Int
    var cacheKey: PacketCache.Key?
    /// A cached answer fitted to the client, and the rebinding rule a cached answer breaks.
    var cached: (bytes: [UInt8], message: DNSMessage)?
    var cachedRebinding: PolicyDecision?
    /// A cached answer the policy refuses (rebinding, enforce mode): the client gets a block. Stored,
    /// not computed: the batch reads its prepared queries where they lie, and a computed property of
    /// one took a copy of the whole ~1 KB value first.
    var cachedBlocked: Bool

    /// The query as it came in, and the answer as it goes back.
    var origin: MessageOrigin {
        MessageOrigin(time: time.wall, source: client.peer, destination: client.local, transport: client.transport)
    }
    var reply: MessageOrigin {
        MessageOrigin(time: time.wall, source: client.local, destination: client.peer, transport: client.transport)
    }
}
