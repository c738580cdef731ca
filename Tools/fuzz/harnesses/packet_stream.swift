// The packet decoder on a sequence of arbitrary packets: TCP reassembly, IP fragments, flow tables,
// timeouts and eviction, as raw packets from captures exercise them.
//
// Input: a link-type selector byte (index into LinkType.supported), a configuration byte (see
// packetConfiguration: small tables, short timeouts, DNS on more ports), then packets, each as
// [time step byte][2-byte length][bytes] (see timeStep). Bounds and counters are checked after every
// packet and after `finish`.
import AirlockEvents
import AirlockPackets

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPacketStream(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    let linkType = LinkType.supported[Int(input.byte()) % LinkType.supported.count]
    var decoder = PacketDecoder(configuration: packetConfiguration(input.byte()))
    var sink = CheckingSink(configuration: decoder.configuration)
    var time = fuzzEpoch
    while !input.isAtEnd {
        time += timeStep(input.byte())
        let packet = input.chunk()
        decoder.decode(linkType: linkType, time: Timestamp(nanoseconds: time), bytes: packet.span, into: &sink)
        checkDecoder(decoder, sink)
    }
    decoder.finish(into: &sink)
    checkFinished(decoder, sink)
    return 0
}
