import AirlockEvents

/// Decodes captured packets down to DNS messages and flow starts: link layer → IPv4/IPv6 (with
/// extension headers and fragment reassembly) → UDP/TCP (with stream reassembly for DNS over TCP).
///
/// One decoder per capture or interface: it keeps the fragment, connection and flow tables, bounded by
/// its ``PacketDecoderConfiguration``. Timeouts run on packet time, so a replay behaves like the live
/// capture did. UDP DNS is delivered straight from the packet's bytes with no allocation; only TCP
/// streams and fragments buffer.
public struct PacketDecoder: Sendable {
    public let configuration: PacketDecoderConfiguration

    private var counters = PacketStatistics()
    private var fragments: FragmentReassembler
    private var tcp: TCPTracker
    private var watchedUDP: UDPFlowSet
    /// The latest packet time seen: timeouts never run backwards when a capture's clock does.
    private var now: Int64 = .min
    private var nextMaintenance: Int64 = .min
    /// Packets of the current link type not yet folded into `counters.packetsByLinkType`.
    private var currentLinkType: Int32 = -1
    private var currentLinkTypePackets = 0

    public init(configuration: PacketDecoderConfiguration = PacketDecoderConfiguration()) {
        self.configuration = configuration
        fragments = FragmentReassembler(configuration: configuration)
        tcp = TCPTracker(configuration: configuration)
        watchedUDP = UDPFlowSet(configuration: configuration)
    }

    /// Everything counted so far.
    public var statistics: PacketStatistics {
        var result = counters
        if currentLinkTypePackets > 0 { result.packetsByLinkType[currentLinkType, default: 0] += currentLinkTypePackets }
        return result
    }

    /// Entries held right now: partial datagrams, TCP connections (with tombstones), watched UDP tuples.
    public var tableSizes: (fragments: Int, tcpFlows: Int, udpFlows: Int) {
        (fragments.count, tcp.count, watchedUDP.count)
    }

    /// Decodes one captured packet of link type `linkType` (a `DLT_` value) and tells `sink` what it holds.
    public mutating func decode<Sink: PacketSink>(
        linkType: Int32, time: Timestamp, bytes: Span<UInt8>, into sink: inout Sink
    ) {
        counters.packets += 1
        counters.bytes += bytes.count
        if linkType != currentLinkType { switchLinkType(to: linkType) }
        currentLinkTypePackets += 1
        if time.nanoseconds > now { now = time.nanoseconds }
        if now >= nextMaintenance { maintain(sink: &sink) }

        switch LinkLayer.network(linkType: linkType, bytes: bytes) {
        case .ipv4(let offset):
            decodeIPv4(bytes, at: offset, time: time, sink: &sink)
        case .ipv6(let offset):
            decodeIPv6(bytes, at: offset, time: time, sink: &sink)
        case .ipAnyVersion(let offset):
            guard bytes.count > offset else {
                counters.record(.truncatedIPv4Header, &sink)
                return
            }
            switch bytes[offset] >> 4 {
            case 4: decodeIPv4(bytes, at: offset, time: time, sink: &sink)
            case 6: decodeIPv6(bytes, at: offset, time: time, sink: &sink)
            default: counters.record(.badIPVersion, &sink)
            }
        case .notIP:
            counters.nonIPPackets += 1
        case .malformed(let reason):
            counters.record(reason, &sink)
        }
    }

    /// The capture ended: connections deliver or report what they still hold (partial first payloads
    /// are delivered, partial DNS messages and datagrams are reported), and every table is emptied.
    public mutating func finish<Sink: PacketSink>(into sink: inout Sink) {
        let time = now == .min ? 0 : now
        tcp.finish(now: time, statistics: &counters, sink: &sink)
        fragments.finish(statistics: &counters, sink: &sink)
        watchedUDP = UDPFlowSet(configuration: configuration)
    }

    private mutating func switchLinkType(to linkType: Int32) {
        if currentLinkTypePackets > 0 {
            counters.packetsByLinkType[currentLinkType, default: 0] += currentLinkTypePackets
        }
        currentLinkType = linkType
        currentLinkTypePackets = 0
    }

    /// Timeouts, once per second of packet time.
    private mutating func maintain<Sink: PacketSink>(sink: inout Sink) {
        nextMaintenance = now.saturatingAdd(1_000_000_000)
        fragments.sweep(now: now, statistics: &counters, sink: &sink)
        tcp.sweep(now: now, statistics: &counters, sink: &sink)
        watchedUDP.sweep(now: now)
    }

    // MARK: IP

    private mutating func decodeIPv4<Sink: PacketSink>(
        _ bytes: Span<UInt8>, at offset: Int, time: Timestamp, sink: inout Sink
    ) {
        let available = bytes.count - offset
        guard available >= 20 else { return counters.record(.truncatedIPv4Header, &sink) }
        let first = bytes[offset]
        guard first >> 4 == 4 else { return counters.record(.badIPVersion, &sink) }
        let headerLength = Int(first & 0x0F) * 4
        guard headerLength >= 20 else { return counters.record(.badIPv4HeaderLength, &sink) }
        guard available >= headerLength else { return counters.record(.truncatedIPv4Header, &sink) }
        var totalLength = Int(bytes.be16(offset + 2))
        // Zero: a segmentation-offload capture; the packet is what was captured.
        if totalLength == 0 { totalLength = available }
        guard totalLength >= headerLength else { return counters.record(.badIPv4HeaderLength, &sink) }
        guard totalLength <= available else { return counters.record(.truncatedIPv4Payload, &sink) }
        counters.ipv4Packets += 1

        let fragmentField = bytes.be16(offset + 6)
        let moreFragments = fragmentField & 0x2000 != 0
        let fragmentOffset = Int(fragmentField & 0x1FFF) * 8
        let protocolNumber = bytes[offset + 9]
        let source = IPAddress.v4(bytes.be32(offset + 12))
        let destination = IPAddress.v4(bytes.be32(offset + 16))
        let payload = bytes.extracting((offset + headerLength)..<(offset + totalLength))

        guard moreFragments || fragmentOffset != 0 else {
            return decodeTransport(protocolNumber, source, destination, payload, time: time, sink: &sink)
        }
        let key = FragmentReassembler.Key(
            source: source, destination: destination, identification: UInt32(bytes.be16(offset + 4)),
            protocolNumber: protocolNumber)
        guard
            let datagram = fragments.add(
                key: key, offset: fragmentOffset, moreFragments: moreFragments, header: protocolNumber,
                payload: payload, now: now, statistics: &counters, sink: &sink)
        else { return }
        decodeTransport(protocolNumber, source, destination, datagram.payload.span, time: time, sink: &sink)
    }

    private mutating func decodeIPv6<Sink: PacketSink>(
        _ bytes: Span<UInt8>, at offset: Int, time: Timestamp, sink: inout Sink
    ) {
        let available = bytes.count - offset
        guard available >= 40 else { return counters.record(.truncatedIPv6Header, &sink) }
        guard bytes[offset] >> 4 == 6 else { return counters.record(.badIPVersion, &sink) }
        var payloadLength = Int(bytes.be16(offset + 4))
        // Zero: a jumbogram or a segmentation-offload capture; the packet is what was captured.
        if payloadLength == 0 { payloadLength = available - 40 }
        guard payloadLength <= available - 40 else { return counters.record(.truncatedIPv6Payload, &sink) }
        counters.ipv6Packets += 1
        let source = IPAddress.v6(high: bytes.be64(offset + 8), low: bytes.be64(offset + 16))
        let destination = IPAddress.v6(high: bytes.be64(offset + 24), low: bytes.be64(offset + 32))
        let packet = bytes.extracting((offset + 40)..<(offset + 40 + payloadLength))
        walkIPv6Headers(
            bytes[offset + 6], packet, source: source, destination: destination, allowFragment: true,
            budget: configuration.maxIPv6ExtensionHeaders, time: time, sink: &sink)
    }

    /// Follows the extension header chain from `header` at the start of `bytes` to the upper protocol.
    private mutating func walkIPv6Headers<Sink: PacketSink>(
        _ header: UInt8, _ bytes: Span<UInt8>, source: IPAddress, destination: IPAddress, allowFragment: Bool,
        budget: Int, time: Timestamp, sink: inout Sink
    ) {
        var next = header
        var position = 0
        var remaining = budget
        while true {
            switch next {
            case 0, 43, 60, 51:  // hop-by-hop, routing, destination options, authentication
                guard remaining > 0 else { return counters.record(.ipv6ExtensionChainTooLong, &sink) }
                remaining -= 1
                guard bytes.count - position >= 8 else { return counters.record(.truncatedIPv6ExtensionHeader, &sink) }
                let length = next == 51 ? (Int(bytes[position + 1]) + 2) * 4 : (Int(bytes[position + 1]) + 1) * 8
                guard bytes.count - position >= length else {
                    return counters.record(.truncatedIPv6ExtensionHeader, &sink)
                }
                next = bytes[position]
                position += length
            case 44:  // fragment
                guard remaining > 0 else { return counters.record(.ipv6ExtensionChainTooLong, &sink) }
                remaining -= 1
                guard bytes.count - position >= 8 else { return counters.record(.truncatedIPv6ExtensionHeader, &sink) }
                let fragmentHeader = bytes[position]
                let field = bytes.be16(position + 2)
                let fragmentOffset = Int(field & 0xFFF8)
                let moreFragments = field & 0x0001 != 0
                let identification = bytes.be32(position + 4)
                position += 8
                if fragmentOffset == 0 && !moreFragments {
                    // An atomic fragment (RFC 6946): a whole datagram with a fragment header.
                    next = fragmentHeader
                    continue
                }
                guard allowFragment else { return counters.record(.ipv6ExtensionChainTooLong, &sink) }
                let key = FragmentReassembler.Key(
                    source: source, destination: destination, identification: identification, protocolNumber: 0)
                guard
                    let datagram = fragments.add(
                        key: key, offset: fragmentOffset, moreFragments: moreFragments, header: fragmentHeader,
                        payload: bytes.extracting(position...), now: now, statistics: &counters, sink: &sink)
                else { return }
                return walkIPv6Headers(
                    datagram.firstHeader, datagram.payload.span, source: source, destination: destination,
                    allowFragment: false, budget: remaining, time: time, sink: &sink)
            default:
                return decodeTransport(
                    next, source, destination, bytes.extracting(position...), time: time, sink: &sink)
            }
        }
    }

    // MARK: UDP and TCP

    private mutating func decodeTransport<Sink: PacketSink>(
        _ protocolNumber: UInt8, _ source: IPAddress, _ destination: IPAddress, _ bytes: Span<UInt8>,
        time: Timestamp, sink: inout Sink
    ) {
        switch protocolNumber {
        case 17: decodeUDP(source, destination, bytes, time: time, sink: &sink)
        case 6: decodeTCP(source, destination, bytes, time: time, sink: &sink)
        default: counters.otherTransportPackets += 1
        }
    }

    @inline(__always)
    private func isDNSPort(_ port: UInt16) -> Bool {
        for candidate in configuration.dnsPorts where candidate == port { return true }
        return false
    }

    @inline(__always)
    private func isWatchedUDPPort(_ port: UInt16) -> Bool {
        for candidate in configuration.watchedUDPPorts where candidate == port { return true }
        return false
    }

    private mutating func decodeUDP<Sink: PacketSink>(
        _ sourceAddress: IPAddress, _ destinationAddress: IPAddress, _ bytes: Span<UInt8>,
        time: Timestamp, sink: inout Sink
    ) {
        guard bytes.count >= 8 else { return counters.record(.truncatedUDP, &sink) }
        counters.udpPackets += 1
        let sourcePort = bytes.be16(0)
        let destinationPort = bytes.be16(2)
        let length = Int(bytes.be16(4))
        guard length >= 8, length <= bytes.count else { return counters.record(.udpLengthMismatch, &sink) }
        let payload = bytes.extracting(8..<length)
        let context = FlowContext(
            time: time, source: Endpoint(address: sourceAddress, port: sourcePort),
            destination: Endpoint(address: destinationAddress, port: destinationPort), transport: .udp)

        if isDNSPort(sourcePort) || isDNSPort(destinationPort) {
            counters.udpDNSMessages += 1
            sink.dnsMessage(context, payload)
            return
        }
        counters.nonDNSPackets += 1
        guard isWatchedUDPPort(sourcePort) || isWatchedUDPPort(destinationPort) else { return }
        if configuration.recognizeDNSOnWatchedUDPPorts
            && DNSPlausibility.looksLikeMessageStart(
                payload, at: 0, length: payload.count, requireCompleteQuestion: true)
        {
            counters.nonDNSPackets -= 1
            counters.udpDNSMessages += 1
            counters.dnsMessagesOnWatchedPorts += 1
            sink.dnsMessage(context, payload)
            return
        }
        guard isWatchedUDPPort(destinationPort) else { return }
        let key = UDPFlowSet.Key(source: context.source, destination: context.destination)
        guard watchedUDP.isNew(key, now: now, statistics: &counters, sink: &sink) else { return }
        counters.udpFlowStarts += 1
        sink.flowStart(context, firstClientPayload: payload)
    }

    private mutating func decodeTCP<Sink: PacketSink>(
        _ sourceAddress: IPAddress, _ destinationAddress: IPAddress, _ bytes: Span<UInt8>,
        time: Timestamp, sink: inout Sink
    ) {
        guard bytes.count >= 20 else { return counters.record(.truncatedTCPHeader, &sink) }
        let headerLength = Int(bytes[12] >> 4) * 4
        guard headerLength >= 20 else { return counters.record(.badTCPHeaderLength, &sink) }
        guard bytes.count >= headerLength else { return counters.record(.truncatedTCPHeader, &sink) }
        counters.tcpPackets += 1
        let sourcePort = bytes.be16(0)
        let destinationPort = bytes.be16(2)
        let isDNS = isDNSPort(sourcePort) || isDNSPort(destinationPort)
        if !isDNS {
            counters.nonDNSPackets += 1
            guard configuration.reportTCPFlowStarts else { return }
        }
        let segment = TCPSegment(
            source: Endpoint(address: sourceAddress, port: sourcePort),
            destination: Endpoint(address: destinationAddress, port: destinationPort),
            sequence: bytes.be32(4), acknowledgement: bytes.be32(8), flags: bytes[13], time: time)
        tcp.segment(
            segment, payload: bytes.extracting(headerLength...), isDNS: isDNS, now: now, statistics: &counters,
            sink: &sink)
    }
}
