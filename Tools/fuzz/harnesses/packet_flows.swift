// The packet decoder on conversations the harness builds: TCP segments (any flags, sequence and
// acknowledgement numbers, in any order, retransmitted, overlapping), UDP datagrams and IPv4/IPv6
// fragments between a few clients and one server. Raw packets rarely get a TCP stream or a fragment
// train right by mutation; here the fuzzer only chooses the fields, so reassembly is what it explores.
//
// Input: a configuration byte (see packetConfiguration), then operations until the input ends. Each
// operation starts with a byte: bits 0-2 the kind, bits 3-4 the flow (client 198.18.0.2+flow or
// 2001:db8::2+flow, port 40000+flow), bit 5 IPv6, bits 6-7 the server port (53, 443, 853, 80).
//   0, 1  TCP segment client→server / server→client: [flags][2-byte seq offset][2-byte ack offset][payload]
//   2, 3  UDP datagram client→server / server→client: [payload]
//   4     IP fragment client→server: [bit 7 more fragments, bit 6 TCP (else UDP), bits 0-5 id]
//         [2-byte offset in 8-byte units][fragment bytes]
//   5     time step: [byte] (see timeStep)
//   6     raw IP packet: [bytes]
//   7     DNS over TCP client→server, framed here: [flags][2-byte seq offset][message]
// [payload], [bytes] and [message] are a 2-byte length and that many bytes. Sequence numbers count
// from an initial number near 2^32, so streams wrap. Packets go in as raw IP (link layers are
// packet_decoder's and packet_stream's).
//
// Besides the decoder's bounds and counters, a reassembly oracle: a client→server stream to port 53
// that starts with a SYN and continues in order without gaps, overlaps, FIN or RST (and with nothing
// else that could disturb it: no fragments, raw packets, time steps or tiny tables in the input)
// must be delivered as exactly the valid DNS messages its length prefixes frame, in order. A stream
// where Airlock sees other messages than the resolver does is a way to hide names from it.
import AirlockDNSWire
import AirlockEvents
import AirlockPackets

private let serverPorts: [UInt16] = [53, 443, 853, 80]
private let clientISN: UInt32 = 0xFFFF_FF00
private let serverISN: UInt32 = 0x7FFF_FFF0

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPacketFlows(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    let configurationByte = input.byte()
    var decoder = PacketDecoder(configuration: packetConfiguration(configurationByte))
    var sink = CheckingSink(configuration: decoder.configuration)
    sink.deliveries = []
    var streams: [Int: StreamModel] = [:]
    var undisturbed = configurationByte & 0x01 == 0
    var time = fuzzEpoch
    while !input.isAtEnd {
        let op = input.byte()
        let flow = Int(op >> 3 & 0x03)
        let v6 = op & 0x20 != 0
        let client = (address: v6 ? v6Address(2 + flow) : v4Address(2 + flow), port: UInt16(40_000 + flow))
        let server = (address: v6 ? v6Address(0x53) : v4Address(0x53), port: serverPorts[Int(op >> 6)])
        var packet: [UInt8]
        switch op & 0x07 {
        case 0, 1, 7:
            let fromClient = op & 0x07 != 1
            let flags = input.byte()
            let seq = (fromClient ? clientISN : serverISN) &+ UInt32(input.u16())
            let ack = op & 0x07 == 7 ? serverISN &+ 1 : (fromClient ? serverISN : clientISN) &+ UInt32(input.u16())
            var payload = input.chunk()
            if op & 0x07 == 7 {
                payload =
                    [UInt8(truncatingIfNeeded: payload.count >> 8), UInt8(truncatingIfNeeded: payload.count)] + payload
            }
            if server.port == 53 {
                streams[streamKey(v6: v6, flow: flow), default: StreamModel()].segment(
                    fromClient: fromClient, flags: flags, seq: seq, ack: ack, payload: payload)
            }
            let segment = tcp(
                from: fromClient ? client.port : server.port, to: fromClient ? server.port : client.port,
                seq: seq, ack: ack, flags: flags, payload: payload)
            packet = ip(
                v6: v6, from: fromClient ? client.address : server.address,
                to: fromClient ? server.address : client.address, protocolNumber: 6, payload: segment)
        case 2, 3:
            let fromClient = op & 0x07 == 2
            let datagram = udp(
                from: fromClient ? client.port : server.port, to: fromClient ? server.port : client.port,
                payload: input.chunk())
            packet = ip(
                v6: v6, from: fromClient ? client.address : server.address,
                to: fromClient ? server.address : client.address, protocolNumber: 17, payload: datagram)
        case 4:
            undisturbed = false
            let control = input.byte()
            let offset = input.u16() & 0x1FFF
            let bytes = input.chunk()
            packet = fragment(
                v6: v6, from: client.address, to: server.address, protocolNumber: control & 0x40 != 0 ? 6 : 17,
                id: control & 0x3F, offset: offset, more: control & 0x80 != 0, payload: bytes)
        case 5:
            undisturbed = false
            time += timeStep(input.byte())
            continue
        default:
            undisturbed = false
            packet = input.chunk()
        }
        decoder.decode(linkType: LinkType.raw, time: Timestamp(nanoseconds: time), bytes: packet.span, into: &sink)
        checkDecoder(decoder, sink)
    }
    decoder.finish(into: &sink)
    checkFinished(decoder, sink)
    if fuzzVerbose {
        for delivery in sink.deliveries ?? [] {
            note(
                "delivered \(delivery.bytes.count) bytes \(delivery.context.transport) \(delivery.context.source) → \(delivery.context.destination)"
            )
        }
    }
    if undisturbed {
        for (key, stream) in streams {
            guard let expected = stream.expectedMessages() else { continue }
            let v6 = key & 0x04 != 0
            let source = v6 ? v6Address(2 + key & 0x03) : v4Address(2 + key & 0x03)
            let delivered = sink.deliveries?.filter {
                $0.context.transport == .tcp && $0.context.destination.port == 53
                    && $0.context.source.port == UInt16(40_000 + key & 0x03)
                    && $0.context.source.address.bytes == source
            }.map(\.bytes)
            require(
                delivered == expected,
                "stream \(key): delivered \(delivered?.map(\.count) ?? []) byte messages, the stream framed "
                    + "\(expected.map(\.count)): \(hex(input.bytes))")
        }
    }
    return 0
}

private func streamKey(v6: Bool, flow: Int) -> Int { (v6 ? 0x04 : 0) | flow }

/// What the client sent on one connection to port 53, while it stays simple enough to predict.
private struct StreamModel {
    /// Still a SYN, then in-order data without gaps, overlaps, FIN or RST.
    var predictable = true
    var sawSYN = false
    /// The client's next sequence number.
    var next: UInt32 = clientISN
    var bytes: [UInt8] = []

    mutating func segment(fromClient: Bool, flags: UInt8, seq: UInt32, ack: UInt32, payload: [UInt8]) {
        let syn = flags & 0x02 != 0
        if flags & 0x05 != 0 { predictable = false }  // FIN or RST from either side
        guard fromClient else {
            // The server: its SYN-ACK must acknowledge the client's SYN, and come after it.
            if syn && (!sawSYN || ack != clientISN &+ 1 || !payload.isEmpty) { predictable = false }
            return
        }
        if !sawSYN {
            if syn && seq == clientISN && payload.isEmpty {
                sawSYN = true
                next = clientISN &+ 1
            } else {
                predictable = false
            }
            return
        }
        if syn || seq != next || bytes.count + payload.count > 60_000 { predictable = false }
        bytes += payload
        next = next &+ UInt32(payload.count)
    }

    /// The messages the stream frames, when all are valid DNS; nil when there is nothing to predict.
    func expectedMessages() -> [[UInt8]]? {
        guard predictable, sawSYN else { return nil }
        var messages: [[UInt8]] = []
        var position = 0
        while bytes.count - position >= 2 {
            let length = Int(bytes[position]) << 8 | Int(bytes[position + 1])
            guard bytes.count - position - 2 >= length else { break }
            let message = Array(bytes[(position + 2)..<(position + 2 + length)])
            guard case .success = DNSWireReader.parse(message.span) else { return nil }
            messages.append(message)
            position += 2 + length
        }
        return messages
    }
}

private func v4Address(_ host: Int) -> [UInt8] { [198, 18, 0, UInt8(host)] }
private func v6Address(_ host: Int) -> [UInt8] {
    [0x20, 0x01, 0x0D, 0xB8] + [UInt8](repeating: 0, count: 11) + [UInt8(host)]
}

private func be16(_ value: Int) -> [UInt8] {
    [UInt8(truncatingIfNeeded: value >> 8), UInt8(truncatingIfNeeded: value)]
}
private func be32(_ value: UInt32) -> [UInt8] { be16(Int(value >> 16)) + be16(Int(value & 0xFFFF)) }

private func tcp(from: UInt16, to: UInt16, seq: UInt32, ack: UInt32, flags: UInt8, payload: [UInt8]) -> [UInt8] {
    be16(Int(from)) + be16(Int(to)) + be32(seq) + be32(ack) + [0x50, flags] + be16(65_535) + [0, 0, 0, 0] + payload
}

private func udp(from: UInt16, to: UInt16, payload: [UInt8]) -> [UInt8] {
    be16(Int(from)) + be16(Int(to)) + be16(8 + payload.count) + [0, 0] + payload
}

/// An IPv4 or IPv6 header around `payload`; lengths wrap as the 16-bit fields do.
private func ip(v6: Bool, from: [UInt8], to: [UInt8], protocolNumber: UInt8, payload: [UInt8]) -> [UInt8] {
    if v6 { return [0x60, 0, 0, 0] + be16(payload.count) + [protocolNumber, 64] + from + to + payload }
    return [0x45, 0] + be16(20 + payload.count) + [0x12, 0x34, 0, 0, 64, protocolNumber, 0, 0] + from + to + payload
}

private func fragment(
    v6: Bool, from: [UInt8], to: [UInt8], protocolNumber: UInt8, id: UInt8, offset: UInt16, more: Bool, payload: [UInt8]
) -> [UInt8] {
    if v6 {
        let header = [protocolNumber, 0] + be16(Int(offset) << 3 | (more ? 1 : 0)) + be32(UInt32(id))
        return [0x60, 0, 0, 0] + be16(8 + payload.count) + [44, 64] + from + to + header + payload
    }
    let field = Int(offset) | (more ? 0x2000 : 0)
    return [0x45, 0] + be16(20 + payload.count) + [0, id] + be16(field) + [64, protocolNumber, 0, 0] + from + to
        + payload
}
