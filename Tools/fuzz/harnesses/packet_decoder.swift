// The packet decoder on one arbitrary packet of any supported link type.
//
// Input: a link-type selector byte (an index into LinkType.supported, taken modulo its count), then
// the captured packet. The sink parses every DNS message and first payload it is handed; the decoder's
// bounds and counters are checked after the packet and after `finish` (see Support/PacketChecks.swift).
import AirlockEvents
import AirlockPackets

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPacketDecoder(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    let linkType = LinkType.supported[Int(input.byte()) % LinkType.supported.count]
    let packet = input.rest()
    var decoder = PacketDecoder()
    var sink = CheckingSink(configuration: decoder.configuration)
    decoder.decode(linkType: linkType, time: Timestamp(nanoseconds: fuzzEpoch), bytes: packet.span, into: &sink)
    checkDecoder(decoder, sink)
    decoder.finish(into: &sink)
    checkFinished(decoder, sink)
    return 0
}
