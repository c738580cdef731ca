import AirlockEvents
import AirlockPackets
import AirlockTestSupport
import Testing

@Suite("IP fragment reassembly")
struct FragmentTests {
    /// A UDP datagram carrying a 600-byte DNS message, and its bytes after the IP header.
    let message = Build.dnsQuery(id: 0x0F0F, padding: 560)
    var datagram: [UInt8] { Build.udp(message) }

    /// IPv4 fragments of `datagram` cut at the given offsets (multiples of 8).
    func v4Fragments(cuts: [Int], identification: Int = 77) -> [[UInt8]] {
        let bounds = [0] + cuts + [datagram.count]
        return (0..<(bounds.count - 1)).map { index in
            Build.ipv4(
                Array(datagram[bounds[index]..<bounds[index + 1]]), identification: identification,
                moreFragments: index < bounds.count - 2, fragmentOffset: bounds[index])
        }
    }

    func v6Fragments(cuts: [Int], identification: UInt32 = 0xABCD) -> [[UInt8]] {
        let bounds = [0] + cuts + [datagram.count]
        return (0..<(bounds.count - 1)).map { index in
            Build.ipv6(
                Array(datagram[bounds[index]..<bounds[index + 1]]),
                extensions: [
                    (44, Build.fragmentHeader(offset: bounds[index], more: index < bounds.count - 2, identification: identification))
                ])
        }
    }

    @Test func ipv4FragmentsInAnyOrder() {
        let fragments = v4Fragments(cuts: [200, 400])
        for order in [[0, 1, 2], [2, 1, 0], [1, 2, 0]] {
            var harness = Harness(linkType: 228)
            for index in order { harness.feed(fragments[index]) }
            #expect(harness.sink.messages.map(\.bytes) == [message], "\(order)")
            #expect(harness.sink.messages.first?.context.destination.port == 53)
            #expect(harness.statistics.fragments == 3)
            #expect(harness.statistics.datagramsReassembled == 1)
            #expect(harness.statistics.bufferedBytes == 0)
            #expect(harness.decoder.tableSizes.fragments == 0)
        }
    }

    @Test func ipv6FragmentsWithAHeaderBeforeTheFragmentHeader() {
        var harness = Harness(linkType: 229)
        for packet in v6Fragments(cuts: [96, 304]).reversed() { harness.feed(packet) }
        #expect(harness.sink.messages.map(\.bytes) == [message])
        #expect(harness.sink.messages.first?.context.source.address == IPAddress("2001:db8::1"))
        #expect(harness.statistics.datagramsReassembled == 1)
        // A hop-by-hop header in front of the fragment header (unfragmentable part) is fine too.
        var withHopByHop = Harness(linkType: 229)
        let bounds = [0, 304, datagram.count]
        for index in 0..<2 {
            withHopByHop.feed(
                Build.ipv6(
                    Array(datagram[bounds[index]..<bounds[index + 1]]),
                    extensions: [(0, [1, 4, 0, 0, 0, 0]), (44, Build.fragmentHeader(offset: bounds[index], more: index == 0, identification: 5))]))
        }
        #expect(withHopByHop.sink.messages.map(\.bytes) == [message])
    }

    @Test func identicalDuplicatesAreIgnored() {
        let fragments = v4Fragments(cuts: [304])
        var harness = Harness(linkType: 228)
        harness.feed(fragments[0])
        harness.feed(fragments[0])
        harness.feed(fragments[1])
        harness.feed(fragments[1])  // after completion: a new partial that never completes
        harness.finish()
        #expect(harness.sink.messages.count == 1)
        #expect(harness.statistics.duplicateFragments == 1)
        #expect(harness.sink.malformed == [.fragmentIncomplete])
    }

    @Test func overlapWithDifferentBytesDropsTheDatagram() {
        var fragments = v4Fragments(cuts: [200, 400])
        // A forged middle fragment covering 200..<408 with other bytes.
        var forged = Array(datagram[200..<408])
        forged[0] ^= 0xFF
        fragments.insert(Build.ipv4(forged, identification: 77, moreFragments: true, fragmentOffset: 200), at: 2)
        var harness = Harness(linkType: 228)
        for packet in fragments { harness.feed(packet) }
        harness.finish()
        #expect(harness.sink.messages.isEmpty)
        #expect(harness.sink.malformed == [.fragmentOverlap])
        #expect(harness.statistics.bufferedBytes == 0)
    }

    @Test func ipv6OverlapIsDetectedToo() {
        var harness = Harness(linkType: 229)
        let fragments = v6Fragments(cuts: [304])
        harness.feed(fragments[0])
        var forged = Array(datagram[296...])
        forged[3] ^= 0x01
        harness.feed(Build.ipv6(forged, extensions: [(44, Build.fragmentHeader(offset: 296, more: false, identification: 0xABCD))]))
        harness.feed(fragments[1])
        #expect(harness.sink.messages.isEmpty)
        #expect(harness.sink.malformed == [.fragmentOverlap])
    }

    @Test func incompleteDatagramsTimeOutByPacketTime() {
        var harness = Harness(linkType: 228)
        harness.feed(v4Fragments(cuts: [304])[0])
        harness.feed(Build.ipv4(Build.udp([1], destination: 9)), after: 31)
        #expect(harness.sink.malformed == [.fragmentTimeout])
        // The late second half starts a new partial datagram rather than completing the old one.
        harness.feed(v4Fragments(cuts: [304])[1])
        #expect(harness.sink.messages.isEmpty)
    }

    @Test func reassemblyTableIsBounded() {
        var configuration = PacketDecoderConfiguration()
        configuration.maxReassemblies = 4
        var harness = Harness(linkType: 228, configuration: configuration)
        for identification in 0..<6 { harness.feed(v4Fragments(cuts: [304], identification: identification)[0]) }
        #expect(harness.decoder.tableSizes.fragments == 4)
        #expect(harness.sink.malformed == [.fragmentTableFull, .fragmentTableFull])
        // The newest datagrams can still complete.
        harness.feed(v4Fragments(cuts: [304], identification: 5)[1])
        #expect(harness.sink.messages.count == 1)
    }

    @Test func misalignedAndOversizedFragments() {
        var harness = Harness(linkType: 228)
        harness.feed(Build.ipv4(Array(datagram[0..<301]), identification: 1, moreFragments: true))
        harness.feed(Build.ipv4(Array(datagram[0..<100]), identification: 2, moreFragments: false, fragmentOffset: 65_528))
        #expect(harness.sink.malformed == [.fragmentMisaligned, .fragmentTooLarge])
        harness.finish()
        // Dropped datagrams are not reported again as incomplete.
        #expect(harness.sink.malformed == [.fragmentMisaligned, .fragmentTooLarge])
    }

    @Test func fragmentedTCPIsReassembledBeforeStreamProcessing() {
        let conversation = TCPConversation()
        var harness = Harness(linkType: 228)
        for packet in conversation.handshake() { harness.feed(Array(packet.dropFirst(14))) }
        let segment = Build.tcp(Build.framed(message), sequence: conversation.clientSequence + 1)
        harness.feed(Build.ipv4(Array(segment[..<304]), protocolNumber: 6, identification: 9, moreFragments: true))
        harness.feed(Build.ipv4(Array(segment[304...]), protocolNumber: 6, identification: 9, fragmentOffset: 304))
        #expect(harness.sink.tcpMessages.map(\.bytes) == [message])
    }
}
