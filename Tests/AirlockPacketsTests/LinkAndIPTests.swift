import AirlockEvents
import AirlockPackets
import AirlockTestSupport
import Testing

@Suite("Link layers and IP")
struct LinkAndIPTests {
    let query = Build.dnsQuery(id: 0x4242)
    var udp4: [UInt8] { Build.ipv4(Build.udp(query)) }
    var udp6: [UInt8] { Build.ipv6(Build.udp(query)) }

    /// Decodes one packet and returns the sink.
    func decode(_ packet: [UInt8], linkType: Int32 = 1) -> (RecordingSink, PacketStatistics) {
        var harness = Harness(linkType: linkType)
        harness.feed(packet)
        return (harness.sink, harness.statistics)
    }

    func expectOneQuery(_ packet: [UInt8], linkType: Int32, v6: Bool = false, sourceLocation: SourceLocation = #_sourceLocation) {
        let (sink, statistics) = decode(packet, linkType: linkType)
        #expect(sink.messages.count == 1, sourceLocation: sourceLocation)
        #expect(sink.messages.first?.bytes == query, sourceLocation: sourceLocation)
        #expect(sink.malformed.isEmpty, "\(sink.malformed)", sourceLocation: sourceLocation)
        #expect(statistics.packetsByLinkType == [linkType: 1], sourceLocation: sourceLocation)
        guard let context = sink.messages.first?.context else { return }
        #expect(context.transport == .udp, sourceLocation: sourceLocation)
        #expect(context.source.port == 40000 && context.destination.port == 53, sourceLocation: sourceLocation)
        if v6 {
            #expect(context.destination.address == IPAddress("2001:db8::53"), sourceLocation: sourceLocation)
        } else {
            #expect(context.source.address == IPAddress("198.18.0.1"), sourceLocation: sourceLocation)
            #expect(context.destination.address == IPAddress("198.18.0.53"), sourceLocation: sourceLocation)
        }
    }

    @Test func everySupportedLinkType() {
        expectOneQuery(Build.ethernet(udp4), linkType: 1)
        expectOneQuery(Build.ethernet(udp6, etherType: 0x86DD), linkType: 1, v6: true)
        // 802.1Q, and an 802.1ad + 802.1Q stack.
        expectOneQuery(Build.ethernet(udp4, vlans: [0x8100]), linkType: 1)
        expectOneQuery(Build.ethernet(udp6, etherType: 0x86DD, vlans: [0x88A8, 0x8100]), linkType: 1, v6: true)
        // Linux cooked v1: protocol at bytes 14-15; v2: protocol at bytes 0-1, 20-byte header.
        expectOneQuery([0, 0, 0, 1, 0, 6] + [UInt8](repeating: 0, count: 8) + [0x08, 0x00] + udp4, linkType: 113)
        expectOneQuery([0x86, 0xDD, 0, 0] + [UInt8](repeating: 0, count: 16) + udp6, linkType: 276, v6: true)
        for raw: Int32 in [12, 14, 101] {
            expectOneQuery(udp4, linkType: raw)
            expectOneQuery(udp6, linkType: raw, v6: true)
        }
        expectOneQuery(udp4, linkType: 228)
        expectOneQuery(udp6, linkType: 229, v6: true)
        // BSD loopback in both byte orders; AF_INET6 as Linux, BSD and macOS number it.
        expectOneQuery([2, 0, 0, 0] + udp4, linkType: 0)
        expectOneQuery([0, 0, 0, 2] + udp4, linkType: 0)
        expectOneQuery([0, 0, 0, 2] + udp4, linkType: 108)
        for family: UInt8 in [10, 24, 28, 30] {
            expectOneQuery([family, 0, 0, 0] + udp6, linkType: 0, v6: true)
            expectOneQuery([0, 0, 0, family] + udp6, linkType: 108, v6: true)
        }
        // PPPoE session and MPLS.
        expectOneQuery(Build.ethernet([0x11, 0, 0, 1] + Build.be16(udp4.count + 2) + [0x00, 0x21] + udp4, etherType: 0x8864), linkType: 1)
        expectOneQuery(Build.ethernet([0, 0x01, 0x01, 64] + udp4, etherType: 0x8847), linkType: 1)
    }

    @Test func nonIPIsCountedNotMalformed() {
        let (sink, statistics) = decode(Build.ethernet([UInt8](repeating: 0, count: 28), etherType: 0x0806))
        #expect(sink.messages.isEmpty && sink.malformed.isEmpty)
        #expect(statistics.nonIPPackets == 1)
        let (_, loopback) = decode([99, 0, 0, 0] + udp4, linkType: 0)
        #expect(loopback.nonIPPackets == 1)
    }

    @Test func ipv4OptionsAndLinkPaddingAreHandled() {
        let withOptions = Build.ipv4(Build.udp(query), options: [0x94, 0x04, 0, 0, 1, 1, 1, 0])  // router alert + NOPs + EOL
        expectOneQuery(Build.ethernet(withOptions), linkType: 1)
        // Ethernet pads short frames: the IP total length, not the frame, bounds the datagram.
        expectOneQuery(Build.ethernet(udp4 + [0, 0, 0, 0, 0, 0]), linkType: 1)
    }

    @Test func ipv6ExtensionHeadersAreWalked() {
        let chain = Build.ipv6(
            Build.udp(query),
            extensions: [(0, [1, 4, 0, 0, 0, 0]), (43, [0, 0, 0, 0, 0, 0]), (60, [1, 2, 0, 0, 0, 0, 0, 0, 0, 0])])
        expectOneQuery(Build.ethernet(chain, etherType: 0x86DD), linkType: 1, v6: true)
        // An atomic fragment (offset 0, no more fragments) is a whole datagram.
        let atomic = Build.ipv6(Build.udp(query), extensions: [(44, Build.fragmentHeader(offset: 0, more: false, identification: 7))])
        expectOneQuery(atomic, linkType: 229, v6: true)
        // Nine destination options headers exceed the default limit of eight.
        let long = Build.ipv6(Build.udp(query), extensions: Array(repeating: (60, [1, 4, 0, 0, 0, 0]), count: 9))
        let (sink, _) = decode(long, linkType: 229)
        #expect(sink.messages.isEmpty)
        #expect(sink.malformed == [.ipv6ExtensionChainTooLong])
    }

    @Test func udpPayloadBoundsFollowTheUDPLength() {
        // UDP length shorter than the IP payload: the extra bytes are not part of the message.
        let packet = Build.ipv4(Build.udp(query, length: 8 + query.count) + [0xEE, 0xEE])
        expectOneQuery(packet, linkType: 228)
    }

    @Test func nonDNSTrafficIsCountedNotMalformed() {
        let (sink, statistics) = decode(Build.ipv4(Build.udp([1, 2, 3], source: 5000, destination: 123)), linkType: 228)
        #expect(sink.messages.isEmpty && sink.malformed.isEmpty && sink.flowStarts.isEmpty)
        #expect(statistics.nonDNSPackets == 1)
        let (_, icmp) = decode(Build.ipv4([8, 0, 0, 0, 0, 0, 0, 0], protocolNumber: 1), linkType: 228)
        #expect(icmp.otherTransportPackets == 1)
    }

    @Test func configurablePorts() {
        var configuration = PacketDecoderConfiguration(dnsPorts: [53, 5353])
        var harness = Harness(linkType: 228, configuration: configuration)
        harness.feed(Build.ipv4(Build.udp(query, source: 5353, destination: 5353)))
        #expect(harness.sink.messages.count == 1)
        configuration.dnsPorts = [5353]
        harness = Harness(linkType: 228, configuration: configuration)
        harness.feed(Build.ipv4(Build.udp(query)))
        #expect(harness.sink.messages.isEmpty)
        #expect(harness.statistics.nonDNSPackets == 1)
    }

    @Test func truncatedHeadersOfEachLayer() {
        let cases: [(String, [UInt8], Int32, MalformedReason)] = [
            ("ethernet", [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 8], 1, .truncatedLinkHeader),
            ("vlan tag", Array(Build.ethernet([], vlans: [0x8100]).prefix(16)), 1, .truncatedLinkHeader),
            ("vlan stack", Build.ethernet(udp4, vlans: Array(repeating: 0x8100, count: 9)), 1, .tooManyLinkTags),
            ("sll", [UInt8](repeating: 0, count: 15), 113, .truncatedLinkHeader),
            ("sll2", [UInt8](repeating: 0, count: 19), 276, .truncatedLinkHeader),
            ("null", [2, 0], 0, .truncatedLinkHeader),
            ("unknown link", udp4, 147, .unsupportedLinkType),
            ("raw empty", [], 12, .truncatedIPv4Header),
            ("raw version", [0x50] + Array(udp4.dropFirst()), 12, .badIPVersion),
            ("ethertype/version mismatch", Build.ethernet(udp6), 1, .badIPVersion),
            ("ipv4 header", Array(udp4.prefix(19)), 228, .truncatedIPv4Header),
            ("ipv4 ihl < 5", [0x44] + Array(udp4.dropFirst()), 228, .badIPv4HeaderLength),
            ("ipv4 options cut", Array(Build.ipv4([], options: [1, 1, 1, 1, 1, 1, 1, 1]).prefix(24)), 228, .truncatedIPv4Header),
            ("ipv4 total < header", Build.ipv4(Build.udp(query), totalLength: 16), 228, .badIPv4HeaderLength),
            ("ipv4 payload cut", Array(udp4.prefix(40)), 228, .truncatedIPv4Payload),
            ("ipv6 header", Array(udp6.prefix(39)), 229, .truncatedIPv6Header),
            ("ipv6 payload cut", Array(udp6.prefix(50)), 229, .truncatedIPv6Payload),
            ("ipv6 extension cut", Build.ipv6([], nextHeader: 60) + [17, 0, 0, 0], 229, .truncatedIPv6ExtensionHeader),
            ("udp header", Build.ipv4([0, 53, 0, 53, 0]), 228, .truncatedUDP),
            ("udp length small", Build.ipv4(Build.udp(query, length: 7)), 228, .udpLengthMismatch),
            ("udp length large", Build.ipv4(Build.udp(query, length: 8 + query.count + 1)), 228, .udpLengthMismatch),
            ("tcp header", Build.ipv4(Array(Build.tcp([], sequence: 1).prefix(19)), protocolNumber: 6), 228, .truncatedTCPHeader),
            ("tcp data offset < 5", Build.ipv4(patch(Build.tcp([], sequence: 1), at: 12, 0x40), protocolNumber: 6), 228, .badTCPHeaderLength),
            ("tcp options cut", Build.ipv4(patch(Build.tcp([], sequence: 1), at: 12, 0x80), protocolNumber: 6), 228, .truncatedTCPHeader),
        ]
        for (name, packet, linkType, reason) in cases {
            let (sink, statistics) = decode(packet, linkType: linkType)
            #expect(sink.messages.isEmpty, "\(name)")
            #expect(sink.malformed == [reason], "\(name)")
            #expect(statistics.count(reason) == 1, "\(name)")
            #expect(statistics.malformedTotal == 1, "\(name)")
        }
    }

    @Test func malformedReasonNamesAreStableSnakeCase() {
        #expect(MalformedReason.truncatedLinkHeader.rawValue == "truncated_link_header")
        #expect(MalformedReason.tcpFlowTableFull.rawValue == "tcp_flow_table_full")
        #expect(MalformedReason.fragmentOverlap.rawValue == "fragment_overlap")
        for reason in MalformedReason.allCases {
            #expect(reason.rawValue.allSatisfy { $0.isLowercase || $0.isNumber || $0 == "_" }, "\(reason)")
        }
        #expect(Set(MalformedReason.allCases.map(\.rawValue)).count == MalformedReason.allCases.count)
    }
}

func patch(_ bytes: [UInt8], at index: Int, _ value: UInt8) -> [UInt8] {
    var copy = bytes
    copy[index] = value
    return copy
}
