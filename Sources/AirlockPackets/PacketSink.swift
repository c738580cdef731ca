import AirlockEvents

/// Where a packet came from and went to, handed out with every DNS message and flow start.
public struct FlowContext: Hashable, Sendable {
    /// Capture time of the packet that completed this message or payload.
    public var time: Timestamp
    /// The sender: for a flow start, the client.
    public var source: Endpoint
    /// The receiver: for a flow start, the server.
    public var destination: Endpoint
    public var transport: Transport

    public init(time: Timestamp, source: Endpoint, destination: Endpoint, transport: Transport) {
        self.time = time
        self.source = source
        self.destination = destination
        self.transport = transport
    }
}

/// Receives what ``PacketDecoder`` finds. The spans are valid only during the call: a sink that keeps
/// anything copies it. Calls happen in packet order, on the decoder's thread.
public protocol PacketSink {
    /// One DNS message without transport framing: a UDP payload, or a TCP message with its 2-byte
    /// length removed.
    mutating func dnsMessage(_ context: FlowContext, _ message: Span<UInt8>)

    /// Once per flow of interest that is not DNS: the first client→server payload of a TCP connection
    /// (reassembled up to the end of its first TLS record, at most
    /// ``PacketDecoderConfiguration/firstPayloadLimit`` bytes), or the first datagram of a UDP 5-tuple
    /// to a watched port (QUIC, DNS over QUIC).
    mutating func flowStart(_ context: FlowContext, firstClientPayload: Span<UInt8>)

    /// Something was skipped. The decoder's ``PacketStatistics`` count the same events.
    mutating func malformed(_ reason: MalformedReason)
}

extension PacketSink {
    /// Default: flow starts are not needed by every consumer.
    public mutating func flowStart(_ context: FlowContext, firstClientPayload: Span<UInt8>) {}
    /// Default: rely on ``PacketDecoder/statistics`` for the counts.
    public mutating func malformed(_ reason: MalformedReason) {}
}
