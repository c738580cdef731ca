// The fast-path DNS reader against libldns (the reference codec) on arbitrary bytes.
//
// Input: one DNS message (the whole input). The agreement rules are AirlockLDNS's LDNSCrossCheck,
// the same the differential tests apply to the capture corpus: when both accept, the fields agree;
// the fast path rejects what ldns accepts only for a rule ldns does not check; the fast path accepts
// what ldns rejects only when a record type it keeps opaque (RFC 3597) is one ldns decodes. ldns's
// presentation rendering runs on every message too (it is what verbose output prints); it may refuse
// a message ldns parsed (a CAA tag that is not alphanumeric), so only its not crashing is checked.
import AirlockDNSWire
import AirlockLDNS

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDNSDifferential(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = FuzzInput(data, size).bytes
    let outcome = LDNSCrossCheck.compare(bytes)
    require(!outcome.isProblem, "fast path and ldns disagree: \(outcome) on \(hex(bytes))")
    _ = LDNSCodec.render(bytes)
    return 0
}
