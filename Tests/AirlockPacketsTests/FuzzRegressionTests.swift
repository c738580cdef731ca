import AirlockEvents
import AirlockPackets
import AirlockTestSupport
import Testing

/// Cases the fuzz harnesses found (Tools/fuzz/harnesses/packet_*.swift), rebuilt with the test
/// builders; the raw inputs are kept in Tools/fuzz/regressions/ and replayed by `Tools/fuzz/run.sh`.
@Suite("Packet fuzz regressions")
struct PacketFuzzRegressionTests {
    let conversation = TCPConversation()
    var start: UInt32 { conversation.clientSequence &+ 1 }

    /// packet_flows' reassembly oracle: a message with an unassigned opcode (15) in a synchronised
    /// stream was called an implausible header, and the framer skipped the rest of the segment, so a
    /// peer could hide every query behind one. DNSWireReader reads such a message, so the framer must
    /// deliver it.
    @Test func unassignedOpcodeInASynchronisedStreamIsStillAMessage() {
        var hidden = Build.dnsQuery(id: 1, name: "cover.example")
        hidden[2] = 0x78 | (hidden[2] & 0x07)  // opcode 15
        let query = Build.dnsQuery(id: 2, name: "payload.tunnel.example")
        #expect(hidden[2] >> 3 & 0x0F == 15)
        var harness = Harness()
        for packet in conversation.handshake() { harness.feed(packet) }
        harness.feed(conversation.fromClient(Build.framed(hidden) + Build.framed(query), sequence: start))
        #expect(harness.sink.messages.map(\.bytes) == [hidden, query])
        #expect(harness.sink.malformed.isEmpty)
        #expect(harness.statistics.tcpBytesSkipped == 0)
    }
}
