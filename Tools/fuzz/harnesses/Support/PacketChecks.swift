import AirlockDNSWire
import AirlockEvents
import AirlockPackets
import AirlockTLSWire

/// A packet sink that does what the replay does with what the decoder hands out (parse every DNS
/// message, parse every first payload as a ClientHello) and checks the decoder's promises about it.
struct CheckingSink: PacketSink {
    let configuration: PacketDecoderConfiguration
    var messages = 0
    var flowStarts = 0
    var malformedEvents = 0
    /// Every DNS message delivered, with its flow, when a harness checks them against a model.
    var deliveries: [(context: FlowContext, bytes: [UInt8])]?

    mutating func dnsMessage(_ context: FlowContext, _ message: Span<UInt8>) {
        messages += 1
        if deliveries != nil {
            var copy: [UInt8] = []
            for i in 0..<message.count { copy.append(message[i]) }
            deliveries?.append((context, copy))
        }
        require(message.count <= 65_535, "a DNS message of \(message.count) bytes")
        if case .success(let parsed) = DNSWireReader.parse(message) {
            require(parsed.byteCount + parsed.trailingBytes == message.count, "message length accounting")
        }
    }

    mutating func flowStart(_ context: FlowContext, firstClientPayload: Span<UInt8>) {
        flowStarts += 1
        require(
            firstClientPayload.count <= max(configuration.firstPayloadLimit, 65_535),
            "first payload of \(firstClientPayload.count) bytes, limit \(configuration.firstPayloadLimit)")
        if context.transport == .tcp {
            require(
                firstClientPayload.count <= configuration.firstPayloadLimit,
                "TCP first payload of \(firstClientPayload.count) bytes, limit \(configuration.firstPayloadLimit)")
        }
        _ = ClientHelloParser.parse(firstClientPayload)
    }

    mutating func malformed(_ reason: MalformedReason) {
        malformedEvents += 1
        _ = reason.description
    }
}

/// Decoder configurations a stream harness picks with one byte: the default, or tables small
/// enough that a few packets reach every eviction and timeout path.
func packetConfiguration(_ selector: UInt8) -> PacketDecoderConfiguration {
    var configuration = PacketDecoderConfiguration()
    if selector & 0x01 != 0 {
        configuration.maxTCPFlows = 4
        configuration.maxReassemblies = 2
        configuration.maxUDPFlows = 4
        configuration.maxOutOfOrderSegments = 3
        configuration.maxOutOfOrderBytes = 600
        configuration.maxBufferedBytes = 3_000
        configuration.firstPayloadLimit = 300
    }
    if selector & 0x02 != 0 { configuration.recognizeDNSOnWatchedUDPPorts = false }
    if selector & 0x04 != 0 { configuration.reportTCPFlowStarts = false }
    if selector & 0x08 != 0 { configuration.dnsPorts = [53, 443, 5353] }
    if selector & 0x10 != 0 {
        configuration.tcpIdleTimeout = .seconds(2)
        configuration.fragmentTimeout = .seconds(1)
        configuration.udpIdleTimeout = .seconds(1)
    }
    if selector & 0x20 != 0 { configuration.maxIPv6ExtensionHeaders = 1 }
    return configuration
}

/// The harnesses' time step: byte v advances v ms below 128 and (v - 127)^3 ms from 128 on (up to
/// 35 minutes, past every timeout); 255 steps back 10 s, as a capture's clock sometimes does.
func timeStep(_ byte: UInt8) -> Int64 {
    switch byte {
    case 255: -10_000_000_000
    case 0..<128: Int64(byte) * 1_000_000
    default: Int64(byte - 127) * Int64(byte - 127) * Int64(byte - 127) * 1_000_000
    }
}

/// A capture-like start time (2023-11-14).
let fuzzEpoch: Int64 = 1_700_000_000_000_000_000

/// Checks the bounds the decoder promises after every packet: tables and buffers stay within the
/// configuration, and the sink heard of exactly what the statistics count.
func checkDecoder(_ decoder: PacketDecoder, _ sink: CheckingSink) {
    let c = decoder.configuration
    let sizes = decoder.tableSizes
    require(sizes.fragments <= c.maxReassemblies, "\(sizes.fragments) reassemblies, limit \(c.maxReassemblies)")
    require(sizes.tcpFlows <= c.maxTCPFlows, "\(sizes.tcpFlows) TCP flows, limit \(c.maxTCPFlows)")
    require(sizes.udpFlows <= c.maxUDPFlows, "\(sizes.udpFlows) UDP flows, limit \(c.maxUDPFlows)")
    let statistics = decoder.statistics
    require(
        statistics.bufferedBytes >= 0 && statistics.bufferedBytes <= c.maxBufferedBytes,
        "\(statistics.bufferedBytes) bytes buffered, limit \(c.maxBufferedBytes)")
    require(statistics.malformedTotal == sink.malformedEvents, "malformed: statistics vs sink")
    require(
        statistics.dnsMessages == sink.messages,
        "DNS messages: statistics \(statistics.dnsMessages) vs sink \(sink.messages)")
    require(
        statistics.tcpFlowStarts + statistics.udpFlowStarts == sink.flowStarts,
        "flow starts: statistics vs sink")
}

/// After `finish`, nothing may be held.
func checkFinished(_ decoder: PacketDecoder, _ sink: CheckingSink) {
    checkDecoder(decoder, sink)
    let sizes = decoder.tableSizes
    require(
        sizes.fragments == 0 && sizes.tcpFlows == 0 && sizes.udpFlows == 0, "tables not empty after finish: \(sizes)")
    require(
        decoder.statistics.bufferedBytes == 0, "\(decoder.statistics.bufferedBytes) bytes still buffered after finish")
    if fuzzVerbose {
        let s = decoder.statistics
        note(
            "packets \(s.packets): DNS udp \(s.udpDNSMessages) tcp \(s.tcpDNSMessages), flow starts tcp \(s.tcpFlowStarts)"
                + " udp \(s.udpFlowStarts), fragments \(s.fragments) reassembled \(s.datagramsReassembled),"
                + " out of order \(s.tcpOutOfOrderSegments), malformed \(s.malformed)")
    }
}
