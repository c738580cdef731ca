/// Counts of everything the decoder saw, delivered or skipped. Together with the malformed counts they
/// account for every packet: nothing is dropped without a number going up.
public struct PacketStatistics: Hashable, Sendable {
    /// Packets passed to ``PacketDecoder/decode(linkType:time:bytes:into:)``.
    public internal(set) var packets = 0
    /// Captured bytes passed in.
    public internal(set) var bytes = 0
    /// Packets per link type (`DLT_` value).
    public internal(set) var packetsByLinkType: [Int32: Int] = [:]
    /// Packets whose link layer carries neither IPv4 nor IPv6 (ARP, LLDP, STP, ...).
    public internal(set) var nonIPPackets = 0
    public internal(set) var ipv4Packets = 0
    public internal(set) var ipv6Packets = 0
    /// IP packets (or reassembled datagrams) carrying UDP.
    public internal(set) var udpPackets = 0
    /// IP packets (or reassembled datagrams) carrying TCP.
    public internal(set) var tcpPackets = 0
    /// IP packets with another upper protocol (ICMP, ESP, GRE, ...).
    public internal(set) var otherTransportPackets = 0
    /// UDP or TCP packets that are neither DNS nor of interest (not malformed, just not ours).
    public internal(set) var nonDNSPackets = 0

    /// DNS messages delivered from UDP on a DNS port.
    public internal(set) var udpDNSMessages = 0
    /// DNS messages delivered from TCP streams.
    public internal(set) var tcpDNSMessages = 0
    /// Plain DNS recognised on a watched UDP port (also counted in ``udpDNSMessages``).
    public internal(set) var dnsMessagesOnWatchedPorts = 0

    /// Packets that were IP fragments.
    public internal(set) var fragments = 0
    /// Datagrams completed from fragments.
    public internal(set) var datagramsReassembled = 0
    /// Fragments that repeated bytes already held (harmless duplicates, ignored).
    public internal(set) var duplicateFragments = 0

    /// TCP connections tracked as DNS streams.
    public internal(set) var tcpDNSFlows = 0
    /// Non-DNS TCP connections tracked for their first payload.
    public internal(set) var tcpOtherFlows = 0
    /// Connections first seen after their handshake (capture started mid-connection).
    public internal(set) var tcpMidstreamFlows = 0
    /// Segments that repeated bytes already processed.
    public internal(set) var tcpRetransmittedSegments = 0
    /// Segments that arrived ahead of a missing one and were held.
    public internal(set) var tcpOutOfOrderSegments = 0
    /// Stream bytes skipped while looking for the start of a DNS message (after a gap, junk or a
    /// mid-connection start). Each skip is also counted by reason unless the capture simply began mid-stream.
    public internal(set) var tcpBytesSkipped = 0
    /// TCP segments of connections not tracked (pure ACKs after a close, or of unknown connections).
    public internal(set) var tcpSegmentsUntracked = 0
    /// Connections forgotten after ``PacketDecoderConfiguration/tcpIdleTimeout``.
    public internal(set) var tcpFlowsIdledOut = 0
    /// First client payloads delivered for TCP connections.
    public internal(set) var tcpFlowStarts = 0
    /// First client payloads delivered before they were complete (connection closed or capture ended).
    public internal(set) var tcpFlowStartsIncomplete = 0
    /// First datagrams delivered for watched UDP 5-tuples.
    public internal(set) var udpFlowStarts = 0

    /// Bytes buffered right now for streams and fragments, and the most at any time.
    public internal(set) var bufferedBytes = 0
    public internal(set) var peakBufferedBytes = 0

    /// All malformed events, by ``MalformedReason`` in `allCases` order.
    var malformedCounts = [Int](repeating: 0, count: MalformedReason.allCases.count)

    public init() {}

    /// How many times `reason` was reported.
    public func count(_ reason: MalformedReason) -> Int {
        malformedCounts[MalformedReason.allCases.firstIndex(of: reason)!]
    }

    /// Every reported reason with its count (reasons never reported are left out).
    public var malformed: [MalformedReason: Int] {
        var result: [MalformedReason: Int] = [:]
        for (index, reason) in MalformedReason.allCases.enumerated() where malformedCounts[index] > 0 {
            result[reason] = malformedCounts[index]
        }
        return result
    }

    /// Total malformed events.
    public var malformedTotal: Int { malformedCounts.reduce(0, +) }

    /// DNS messages delivered by any transport.
    public var dnsMessages: Int { udpDNSMessages + tcpDNSMessages }

    mutating func record<Sink: PacketSink>(_ reason: MalformedReason, _ sink: inout Sink) {
        malformedCounts[MalformedReason.allCases.firstIndex(of: reason)!] += 1
        sink.malformed(reason)
    }

    /// Reserves buffer space against the shared budget; false when the budget is spent.
    mutating func reserve(_ count: Int, limit: Int) -> Bool {
        guard bufferedBytes + count <= limit else { return false }
        bufferedBytes += count
        if bufferedBytes > peakBufferedBytes { peakBufferedBytes = bufferedBytes }
        return true
    }

    mutating func release(_ count: Int) {
        bufferedBytes -= count
    }
}
