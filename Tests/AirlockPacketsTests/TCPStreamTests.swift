import AirlockEvents
import AirlockPackets
import AirlockTestSupport
import Testing

@Suite("DNS over TCP streams")
struct TCPStreamTests {
    let conversation = TCPConversation()
    let first = Build.dnsQuery(id: 1, name: "one.example")
    let second = Build.dnsQuery(id: 2, name: "two.example")
    let third = Build.dnsQuery(id: 3, name: "three.example")
    var start: UInt32 { conversation.clientSequence &+ 1 }

    /// A harness that has seen the handshake.
    func connected(_ configuration: PacketDecoderConfiguration = PacketDecoderConfiguration()) -> Harness {
        var harness = Harness(configuration: configuration)
        for packet in conversation.handshake() { harness.feed(packet) }
        return harness
    }

    func ids(_ sink: RecordingSink) -> [Int] { sink.messages.map(identifier) }

    @Test func twoMessagesInOneSegment() {
        var harness = connected()
        harness.feed(conversation.fromClient(Build.framed(first) + Build.framed(second), sequence: start))
        #expect(harness.sink.messages.map(\.bytes) == [first, second])
        let context = harness.sink.messages[0].context
        #expect(context.transport == .tcp)
        #expect(context.source == Endpoint(address: IPAddress("198.18.0.1")!, port: 40000))
        #expect(context.destination == Endpoint(address: IPAddress("198.18.0.53")!, port: 53))
        #expect(harness.statistics.tcpDNSMessages == 2)
        #expect(harness.sink.malformed.isEmpty)
    }

    @Test func messageSplitAcrossThreeSegments() {
        let stream = Build.framed(Build.dnsQuery(id: 9, name: "a-rather-long-name.example", padding: 300))
        var harness = connected()
        harness.feed(conversation.fromClient(Array(stream[0..<1]), sequence: start))
        harness.feed(conversation.fromClient(Array(stream[1..<100]), sequence: start + 1))
        #expect(harness.sink.messages.isEmpty)
        harness.feed(conversation.fromClient(Array(stream[100...]), sequence: start + 100))
        #expect(harness.sink.messages.map(\.bytes) == [Array(stream.dropFirst(2))])
        #expect(harness.statistics.bufferedBytes == 0)
    }

    @Test func outOfOrderSegmentsAreReordered() {
        let stream = Build.framed(first) + Build.framed(second) + Build.framed(third)
        let cut1 = 10, cut2 = Build.framed(first).count + 5
        var harness = connected()
        harness.feed(conversation.fromClient(Array(stream[cut2...]), sequence: start + UInt32(cut2)))
        harness.feed(conversation.fromClient(Array(stream[cut1..<cut2]), sequence: start + UInt32(cut1)))
        #expect(harness.sink.messages.isEmpty)
        #expect(harness.statistics.tcpOutOfOrderSegments == 2)
        harness.feed(conversation.fromClient(Array(stream[..<cut1]), sequence: start))
        #expect(ids(harness.sink) == [1, 2, 3])
        #expect(harness.sink.malformed.isEmpty)
        #expect(harness.statistics.bufferedBytes == 0)
    }

    @Test func retransmissionsAreDeliveredOnce() {
        let stream = Build.framed(first) + Build.framed(second)
        var harness = connected()
        harness.feed(conversation.fromClient(Array(stream[..<20]), sequence: start))
        harness.feed(conversation.fromClient(Array(stream[..<20]), sequence: start))  // exact repeat
        harness.feed(conversation.fromClient(Array(stream[10...]), sequence: start + 10))  // overlaps 10 bytes
        harness.feed(conversation.fromClient(stream, sequence: start))  // everything again
        #expect(ids(harness.sink) == [1, 2])
        #expect(harness.statistics.tcpRetransmittedSegments == 2)
    }

    @Test func gapProvenByAcknowledgementDropsThePartialMessageAndResynchronises() {
        let one = Build.framed(first), two = Build.framed(second), three = Build.framed(third)
        var harness = connected()
        harness.feed(conversation.fromClient(one + Array(two[..<6]), sequence: start))
        // The rest of message 2 is never captured, but the server acknowledges it.
        let afterTwo = start + UInt32(one.count + two.count)
        harness.feed(conversation.fromServer([], sequence: conversation.serverSequence + 1, flags: Build.ack, ack: afterTwo))
        harness.feed(conversation.fromClient(three, sequence: afterTwo))
        #expect(ids(harness.sink) == [1, 3])
        #expect(harness.sink.malformed == [.tcpGap])
        #expect(harness.statistics.tcpBytesSkipped == 6)
    }

    @Test func gapWithoutAcknowledgementIsResolvedAtClose() {
        let one = Build.framed(first), two = Build.framed(second), three = Build.framed(third)
        var harness = connected()
        harness.feed(conversation.fromClient(one, sequence: start))
        let afterTwo = start + UInt32(one.count + two.count)
        harness.feed(conversation.fromClient(three, sequence: afterTwo))
        #expect(ids(harness.sink) == [1])
        // Both sides close; the held segment gets its chance and the gap is counted.
        harness.feed(conversation.fromClient([], sequence: afterTwo + UInt32(three.count), flags: Build.fin | Build.ack))
        harness.feed(conversation.fromServer([], sequence: conversation.serverSequence + 1, flags: Build.fin | Build.ack))
        #expect(ids(harness.sink) == [1, 3])
        #expect(harness.sink.malformed == [.tcpGap])
    }

    @Test func gapInTheMiddleOfAMessageNeverDeliversGarbage() {
        // A 400-byte message whose middle segment is lost, followed by a good message.
        let big = Build.framed(Build.dnsQuery(id: 7, padding: 400)), good = Build.framed(second)
        var harness = connected()
        harness.feed(conversation.fromClient(Array(big[..<100]), sequence: start))
        harness.feed(conversation.fromClient(Array(big[200...]), sequence: start + 200))
        harness.feed(conversation.fromClient(good, sequence: start + UInt32(big.count)))
        harness.finish()
        #expect(ids(harness.sink) == [2])
        #expect(harness.sink.malformed == [.tcpGap])
        #expect(harness.statistics.bufferedBytes == 0)
    }

    @Test func junkAfterAMessageIsSkippedUntilAPlausibleMessage() {
        // After message 1 the client sends junk whose "length" is fine but whose header is impossible
        // (65535 questions in 32 bytes); the next segment starts a real message.
        let junk: [UInt8] = [0x00, 0x20, 0xAB, 0xCD, 0x78, 0x00, 0xFF, 0xFF] + [UInt8](repeating: 0x41, count: 30)
        var harness = connected()
        harness.feed(conversation.fromClient(Build.framed(first) + junk, sequence: start))
        harness.feed(conversation.fromClient(Array("more junk that is long enough".utf8), sequence: start + UInt32(Build.framed(first).count + junk.count)))
        let resume = start + UInt32(Build.framed(first).count + junk.count + 29)
        harness.feed(conversation.fromClient(Build.framed(second), sequence: resume))
        #expect(ids(harness.sink) == [1, 2])
        #expect(harness.sink.malformed == [.tcpImplausibleDNSHeader])
        #expect(harness.statistics.tcpBytesSkipped == junk.count + 29)
    }

    @Test func lengthBelowHeaderSizeIsReported() {
        var harness = connected()
        harness.feed(conversation.fromClient([0, 5, 1, 2, 3, 4, 5], sequence: start))
        harness.feed(conversation.fromClient(Build.framed(second), sequence: start + 7))
        #expect(ids(harness.sink) == [2])
        #expect(harness.sink.malformed == [.tcpBadDNSLength])
    }

    @Test func joiningMidConnectionWaitsForAMessageStart() {
        let big = Build.framed(Build.dnsQuery(id: 7, padding: 100))
        var harness = Harness()
        // No handshake: the first segment seen is the tail of a message.
        harness.feed(conversation.fromClient(Array(big[50...]), sequence: 7000))
        harness.feed(conversation.fromClient(Build.framed(second), sequence: 7000 + UInt32(big.count - 50)))
        #expect(ids(harness.sink) == [2])
        #expect(harness.sink.malformed.isEmpty)
        #expect(harness.statistics.tcpMidstreamFlows == 1)
        #expect(harness.statistics.tcpBytesSkipped == big.count - 50)
    }

    @Test func joiningMidConnectionAcceptsALoneLengthPrefix() {
        // As in oarc_dsc_dnso1tcp: the client writes the 2-byte length, then the message.
        let framed = Build.framed(first)
        var harness = Harness()
        harness.feed(conversation.fromClient(Array(framed[..<2]), sequence: 7000))
        harness.feed(conversation.fromClient(Array(framed[2...]), sequence: 7002))
        #expect(ids(harness.sink) == [1])
    }

    @Test func incompleteMessageAtCloseIsReported() {
        var harness = connected()
        harness.feed(conversation.fromClient(Array(Build.framed(first).prefix(9)), sequence: start))
        harness.feed(conversation.fromClient([], sequence: start + 9, flags: Build.rst))
        #expect(harness.sink.messages.isEmpty)
        #expect(harness.sink.malformed == [.tcpIncompleteMessage])
        // A late retransmission after the reset does not start a new stream.
        harness.feed(conversation.fromClient(Build.framed(first), sequence: start))
        #expect(harness.sink.messages.isEmpty)
        #expect(harness.statistics.bufferedBytes == 0)
    }

    @Test func outOfOrderOverflowGivesUpOnTheMissingSegment() {
        var configuration = PacketDecoderConfiguration()
        configuration.maxOutOfOrderSegments = 2
        var harness = connected(configuration)
        let one = Build.framed(first), two = Build.framed(second)
        // Message 1 is lost; three later messages arrive, the third overflows the two-segment hold.
        var sequence = start + UInt32(one.count)
        for id in [2, 3, 4] {
            let message = Build.framed(Build.dnsQuery(id: id))
            harness.feed(conversation.fromClient(message, sequence: sequence))
            sequence += UInt32(message.count)
        }
        _ = two
        #expect(ids(harness.sink) == [2, 3, 4])
        #expect(harness.sink.malformed == [.tcpOutOfOrderOverflow])
    }

    @Test func flowTableIsBoundedAndEvictsTheOldest() {
        var configuration = PacketDecoderConfiguration()
        configuration.maxTCPFlows = 16
        var harness = Harness(configuration: configuration)
        // 17 connections, each with half a message buffered.
        for port in 0..<17 {
            var other = conversation
            other.clientPort = 30000 + port
            harness.feed(other.fromClient(Array(Build.framed(first).prefix(10)), sequence: 1))
        }
        #expect(harness.decoder.tableSizes.tcpFlows == 16)
        // The least recently seen sixteenth (one connection) went, its partial message reported.
        #expect(harness.statistics.count(.tcpFlowTableFull) == 1)
        harness.finish()
        #expect(harness.statistics.bufferedBytes == 0)
    }

    @Test func idleConnectionsExpireByPacketTime() {
        var harness = connected()
        harness.feed(conversation.fromClient(Array(Build.framed(first).prefix(9)), sequence: start))
        // Another packet 301 s later (default idle timeout 300 s).
        harness.feed(Build.ipv4(Build.udp([1, 2, 3], destination: 123)), after: 301)
        #expect(harness.statistics.tcpFlowsIdledOut == 1)
        #expect(harness.sink.malformed == [.tcpIncompleteMessage])
        #expect(harness.decoder.tableSizes.tcpFlows == 0)
    }

    @Test func bothDirectionsAreFramedIndependently() {
        var harness = connected()
        let response = Build.dnsQuery(id: 1, name: "one.example")
        harness.feed(conversation.fromClient(Build.framed(first), sequence: start))
        harness.feed(conversation.fromServer(Build.framed(response), sequence: conversation.serverSequence + 1))
        #expect(harness.sink.messages.map { $0.context.source.port } == [40000, 53])
    }

    @Test func portReuseStartsANewConnection() {
        var harness = connected()
        harness.feed(conversation.fromClient(Build.framed(first), sequence: start))
        var again = conversation
        again.clientSequence = 900_000
        for packet in again.handshake() { harness.feed(packet) }
        harness.feed(again.fromClient(Build.framed(second), sequence: again.clientSequence + 1))
        #expect(ids(harness.sink) == [1, 2])
        #expect(harness.statistics.tcpDNSFlows == 2)
    }

    @Test func synAckAloneFixesTheClientStart() {
        // The capture missed the SYN. The SYN-ACK's acknowledgement still says where client data
        // starts, so losing the first client segment is a counted gap, not a silent mid-stream join.
        var harness = Harness()
        harness.feed(conversation.handshake()[1])
        let one = Build.framed(first)
        harness.feed(conversation.fromClient(Build.framed(second), sequence: start + UInt32(one.count)))
        #expect(harness.sink.messages.isEmpty)
        harness.finish()
        #expect(ids(harness.sink) == [2])
        #expect(harness.sink.malformed == [.tcpGap])
        #expect(harness.statistics.tcpMidstreamFlows == 0)
    }

    @Test func acknowledgementResolvesSeveralHolesAtOnce() {
        let messages = (1...5).map { Build.framed(Build.dnsQuery(id: $0)) }
        var offsets = [start]
        for message in messages { offsets.append(offsets.last! + UInt32(message.count)) }
        var harness = connected()
        for index in [0, 2, 4] { harness.feed(conversation.fromClient(messages[index], sequence: offsets[index])) }
        #expect(ids(harness.sink) == [1])
        harness.feed(conversation.fromServer([], sequence: conversation.serverSequence + 1, flags: Build.ack, ack: offsets[5]))
        #expect(ids(harness.sink) == [1, 3, 5])
        #expect(harness.sink.malformed == [.tcpGap, .tcpGap])
    }

    @Test func acknowledgementOvertakingItsDataLosesNothing() {
        // Multi-queue captures can show an ACK a moment before the data it acknowledges.
        let one = Build.framed(first)
        var harness = connected()
        harness.feed(conversation.fromServer([], sequence: conversation.serverSequence + 1, flags: Build.ack, ack: start + UInt32(one.count)))
        harness.feed(conversation.fromClient(one, sequence: start))
        #expect(ids(harness.sink) == [1])
        #expect(harness.sink.malformed.isEmpty)
    }
}
