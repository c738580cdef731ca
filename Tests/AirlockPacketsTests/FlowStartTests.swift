import AirlockEvents
import AirlockPackets
import AirlockTestSupport
import Testing

@Suite("First client payloads and watched UDP")
struct FlowStartTests {
    var conversation: TCPConversation {
        var https = TCPConversation()
        https.serverPort = 443
        return https
    }

    /// A TLS handshake record of `length` body bytes (content is filler after the ClientHello type).
    func tlsRecord(length: Int) -> [UInt8] {
        [0x16, 0x03, 0x01] + Build.be16(length) + [0x01] + [UInt8](repeating: 0x5A, count: length - 1)
    }

    @Test func clientHelloSpanningSegmentsIsReassembledOnce() {
        let record = tlsRecord(length: 1900)
        var harness = Harness()
        for packet in conversation.handshake() { harness.feed(packet) }
        let start = conversation.clientSequence + 1
        // Second half first, then the first half, then more application data.
        harness.feed(conversation.fromClient(Array(record[1000...]), sequence: start + 1000))
        #expect(harness.sink.flowStarts.isEmpty)
        harness.feed(conversation.fromClient(Array(record[..<1000]), sequence: start))
        harness.feed(conversation.fromClient([0x17, 3, 3, 0, 1, 0], sequence: start + UInt32(record.count)))
        harness.feed(conversation.fromServer([0x16, 3, 3, 0, 1, 2], sequence: conversation.serverSequence + 1))
        #expect(harness.sink.flowStarts.count == 1)
        let start0 = harness.sink.flowStarts[0]
        #expect(start0.bytes == record)
        #expect(start0.context.source.port == 40000 && start0.context.destination.port == 443)
        #expect(start0.context.transport == .tcp)
        #expect(harness.statistics.tcpFlowStarts == 1)
        #expect(harness.statistics.bufferedBytes == 0)
        #expect(harness.sink.messages.isEmpty)
    }

    @Test func plaintextFirstPayloadIsTheFirstSegment() {
        var plain = TCPConversation()
        plain.serverPort = 80
        var harness = Harness()
        for packet in plain.handshake() { harness.feed(packet) }
        let request = Array("GET / HTTP/1.1\r\nHost: example.com\r\n\r\n".utf8)
        harness.feed(plain.fromClient(request, sequence: plain.clientSequence + 1))
        harness.feed(plain.fromClient(request, sequence: plain.clientSequence + 1 + UInt32(request.count)))
        #expect(harness.sink.flowStarts.map(\.bytes) == [request])
    }

    @Test func firstPayloadIsCappedAtTheLimit() {
        var configuration = PacketDecoderConfiguration()
        configuration.firstPayloadLimit = 1000
        var harness = Harness(configuration: configuration)
        for packet in conversation.handshake() { harness.feed(packet) }
        let record = tlsRecord(length: 3000)
        harness.feed(conversation.fromClient(Array(record[..<700]), sequence: conversation.clientSequence + 1))
        harness.feed(conversation.fromClient(Array(record[700..<1400]), sequence: conversation.clientSequence + 701))
        #expect(harness.sink.flowStarts.map(\.bytes) == [Array(record[..<1000])])
    }

    @Test func connectionClosedBeforeTheRecordCompletesDeliversWhatCame() {
        var harness = Harness()
        for packet in conversation.handshake() { harness.feed(packet) }
        let record = tlsRecord(length: 1900)
        harness.feed(conversation.fromClient(Array(record[..<500]), sequence: conversation.clientSequence + 1))
        harness.feed(conversation.fromServer([], sequence: conversation.serverSequence + 1, flags: Build.rst))
        #expect(harness.sink.flowStarts.map(\.bytes) == [Array(record[..<500])])
        #expect(harness.statistics.tcpFlowStartsIncomplete == 1)
    }

    @Test func withoutAHandshakeTheLowerPortIsTheServer() {
        var harness = Harness()
        // The server speaks first in this capture window; the client's data follows.
        harness.feed(conversation.fromServer([0x17, 3, 3, 0, 1, 0], sequence: 90))
        harness.feed(conversation.fromClient(tlsRecord(length: 100), sequence: 500))
        #expect(harness.sink.flowStarts.count == 1)
        #expect(harness.sink.flowStarts.first?.context.destination.port == 443)
        #expect(harness.statistics.tcpMidstreamFlows == 1)
    }

    @Test func flowStartsCanBeTurnedOff() {
        var configuration = PacketDecoderConfiguration()
        configuration.reportTCPFlowStarts = false
        var harness = Harness(configuration: configuration)
        for packet in conversation.handshake() { harness.feed(packet) }
        harness.feed(conversation.fromClient(tlsRecord(length: 100), sequence: conversation.clientSequence + 1))
        #expect(harness.sink.flowStarts.isEmpty)
        #expect(harness.decoder.tableSizes.tcpFlows == 0)
    }

    @Test func watchedUDPIsReportedOncePerFiveTuple() {
        // A QUIC long-header Initial: first byte 0xC3, version 1, connection ID lengths...
        let initial: [UInt8] = [0xC3, 0, 0, 0, 1, 8, 1, 2, 3, 4, 5, 6, 7, 8, 0] + [UInt8](repeating: 0x44, count: 1000)
        var harness = Harness(linkType: 228)
        harness.feed(Build.ipv4(Build.udp(initial, source: 50000, destination: 443)))
        harness.feed(Build.ipv4(Build.udp(initial, source: 50000, destination: 443)))
        harness.feed(Build.ipv4(Build.udp(initial, source: 443, destination: 50000), source: 0xC612_0035, destination: 0xC612_0001))
        harness.feed(Build.ipv4(Build.udp(initial, source: 50001, destination: 853)))
        #expect(harness.sink.flowStarts.map(\.context.destination.port) == [443, 853])
        #expect(harness.sink.flowStarts.allSatisfy { $0.context.transport == .udp && $0.bytes == initial })
        #expect(harness.sink.messages.isEmpty)
        #expect(harness.statistics.udpFlowStarts == 2)
        // Forgotten after the idle timeout: reported again.
        harness.feed(Build.ipv4(Build.udp(initial, source: 50000, destination: 443)), after: 301)
        #expect(harness.statistics.udpFlowStarts == 3)
    }

    @Test func plainDNSOnAWatchedPortIsDeliveredAsDNS() {
        var harness = Harness(linkType: 228)
        harness.feed(Build.ipv4(Build.udp(Build.dnsQuery(id: 5), source: 50000, destination: 443)))
        #expect(harness.sink.messages.count == 1)
        #expect(harness.sink.flowStarts.isEmpty)
        #expect(harness.statistics.dnsMessagesOnWatchedPorts == 1)
    }

    @Test func udpFlowTableIsBounded() {
        var configuration = PacketDecoderConfiguration()
        configuration.maxUDPFlows = 32
        var harness = Harness(linkType: 228, configuration: configuration)
        for port in 0..<33 { harness.feed(Build.ipv4(Build.udp([0xC3, 0, 0, 0, 1], source: 20000 + port, destination: 443))) }
        // Full at 32: the least recently seen sixteenth (2) make room for the 33rd.
        #expect(harness.decoder.tableSizes.udpFlows == 31)
        #expect(harness.statistics.count(.udpFlowTableFull) == 2)
    }

    @Test func synAckAloneOrdersTheClientHello() {
        let record = tlsRecord(length: 1900)
        var harness = Harness()
        harness.feed(conversation.handshake()[1])  // SYN-ACK only
        let start = conversation.clientSequence + 1
        harness.feed(conversation.fromClient(Array(record[1000...]), sequence: start + 1000))
        #expect(harness.sink.flowStarts.isEmpty)
        harness.feed(conversation.fromClient(Array(record[..<1000]), sequence: start))
        #expect(harness.sink.flowStarts.map(\.bytes) == [record])
        #expect(harness.sink.flowStarts.first?.context.destination.port == 443)
    }
}
