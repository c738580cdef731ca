/// What counts as DNS and how much state the decoder may keep. The bounds exist because a capture
/// (or a live attacker) can open any number of flows and fragments; every table evicts rather than grows.
public struct PacketDecoderConfiguration: Hashable, Sendable {
    /// UDP and TCP ports whose traffic is DNS (either side).
    public var dnsPorts: [UInt16] = [53]
    /// UDP destination ports whose first datagram per 5-tuple is reported as a flow start (QUIC/HTTP3 and
    /// DNS over QUIC on 443, DoQ on 853).
    public var watchedUDPPorts: [UInt16] = [443, 853]
    /// Deliver UDP payloads to or from a watched port as DNS messages when they are plainly DNS (a sane
    /// header and one well-formed question), instead of as flow starts. Some resolvers serve plain DNS on
    /// 443 to get through firewalls; this keeps their names visible.
    public var recognizeDNSOnWatchedUDPPorts = true
    /// Report the first client payload of every non-DNS TCP connection (TLS ClientHello for SNI).
    public var reportTCPFlowStarts = true
    /// Most bytes of a first client payload collected (a TLS ClientHello is usually under 2 KB).
    public var firstPayloadLimit = 16 * 1024

    /// TCP connections tracked at once (DNS streams and first-payload collectors together).
    public var maxTCPFlows = 65_536
    /// A TCP connection silent this long (by packet time) is forgotten.
    public var tcpIdleTimeout: Duration = .seconds(300)
    /// Segments held per direction while waiting for a missing one.
    public var maxOutOfOrderSegments = 32
    /// Bytes held per direction while waiting for a missing segment.
    public var maxOutOfOrderBytes = 64 * 1024

    /// Datagrams being reassembled at once.
    public var maxReassemblies = 1_024
    /// A datagram whose fragments have not all arrived this long after the first is dropped.
    public var fragmentTimeout: Duration = .seconds(30)

    /// Watched UDP 5-tuples remembered at once (for once-per-flow reporting).
    public var maxUDPFlows = 65_536
    /// A watched UDP 5-tuple silent this long is forgotten; its next datagram is a new flow start.
    public var udpIdleTimeout: Duration = .seconds(300)

    /// All bytes buffered for TCP streams and fragments together.
    public var maxBufferedBytes = 64 * 1024 * 1024
    /// Extension headers walked in one IPv6 packet.
    public var maxIPv6ExtensionHeaders = 8

    public init() {}

    public init(dnsPorts: [UInt16]) {
        self.dnsPorts = dnsPorts
    }
}

extension Duration {
    /// Whole nanoseconds, for comparisons with ``Timestamp``; absurdly long durations saturate.
    var nanosecondCount: Int64 {
        let parts = components
        let (seconds, overflow) = parts.seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return parts.seconds > 0 ? .max : .min }
        return seconds.saturatingAdd(parts.attoseconds / 1_000_000_000)
    }
}

extension Int64 {
    /// `self - other`, stopping at the limits instead of trapping (packet times are caller input).
    func saturatingSubtract(_ other: Int64) -> Int64 {
        let (result, overflow) = subtractingReportingOverflow(other)
        return overflow ? (other > 0 ? .min : .max) : result
    }

    func saturatingAdd(_ other: Int64) -> Int64 {
        let (result, overflow) = addingReportingOverflow(other)
        return overflow ? (other > 0 ? .max : .min) : result
    }
}
