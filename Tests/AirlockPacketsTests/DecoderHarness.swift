import AirlockEvents
import AirlockPackets
import AirlockTestSupport

/// Drives a decoder with hand-built packets on one link type, keeping the time moving.
struct Harness {
    var decoder: PacketDecoder
    var sink = RecordingSink()
    var linkType: Int32
    var time = Timestamp(nanoseconds: 1_700_000_000_000_000_000)

    init(linkType: Int32 = 1, configuration: PacketDecoderConfiguration = PacketDecoderConfiguration()) {
        self.linkType = linkType
        decoder = PacketDecoder(configuration: configuration)
    }

    mutating func feed(_ packet: [UInt8], after seconds: Double = 0.001) {
        time = Timestamp(nanoseconds: time.nanoseconds + Int64(seconds * 1e9))
        decoder.decode(linkType: linkType, time: time, bytes: packet.span, into: &sink)
    }

    mutating func finish() { decoder.finish(into: &sink) }

    var statistics: PacketStatistics { decoder.statistics }
}

/// A client/server TCP conversation over IPv4 + Ethernet with sequence numbers tracked for you.
struct TCPConversation {
    var clientSequence: UInt32 = 1000
    var serverSequence: UInt32 = 5000
    var clientPort = 40000
    var serverPort = 53
    var client: UInt32 = 0xC612_0001
    var server: UInt32 = 0xC612_0035

    func fromClient(_ payload: [UInt8], sequence: UInt32, flags: UInt8 = 0x18, ack: UInt32 = 0) -> [UInt8] {
        Build.ethernet(
            Build.ipv4(
                Build.tcp(payload, source: clientPort, destination: serverPort, sequence: sequence, acknowledgement: ack, flags: flags),
                protocolNumber: 6, source: client, destination: server))
    }

    func fromServer(_ payload: [UInt8], sequence: UInt32, flags: UInt8 = 0x18, ack: UInt32 = 0) -> [UInt8] {
        Build.ethernet(
            Build.ipv4(
                Build.tcp(payload, source: serverPort, destination: clientPort, sequence: sequence, acknowledgement: ack, flags: flags),
                protocolNumber: 6, source: server, destination: client))
    }

    /// SYN, SYN-ACK, ACK; afterwards client data starts at clientSequence + 1.
    func handshake() -> [[UInt8]] {
        [
            fromClient([], sequence: clientSequence, flags: Build.syn),
            fromServer([], sequence: serverSequence, flags: Build.syn | Build.ack, ack: clientSequence &+ 1),
            fromClient([], sequence: clientSequence &+ 1, flags: Build.ack, ack: serverSequence &+ 1),
        ]
    }
}
