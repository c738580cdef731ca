// Parsed DNS messages through the pipeline and the detection engine: grouping by registered domain
// (libpsl), the engine's features, scores, windows and verdicts, query/response pairing, sandbox
// lookup. This is what every name an agent sends meets after the parser.
//
// Input: a configuration byte (bit 0: an engine and grouping cache small enough to evict within a
// few messages), then messages, each as [control byte][2-byte length][message]. Control bits 0-1
// pick the client (198.18.0.2-5, or 2001:db8::2-5 with bit 2; the IPv4 ones are sandbox "agent"),
// bit 3 the server (198.18.0.53 or 8.8.8.8, a known public resolver), bit 4 TCP, bit 5 the
// direction (server to client), bit 6 also feeds back the proxy's own NXDOMAIN answer to the
// message, bit 7 an hour passes first (else 50 ms).
import AirlockDNSWire
import AirlockEngine
import AirlockEvents
import AirlockNames
import AirlockPipeline

private let sandboxes = SandboxDirectory([(network: IPAddress("198.18.0.0")!, prefix: 24, sandbox: SandboxID("agent"))])
private let servers = [IPAddress("198.18.0.53")!, IPAddress("8.8.8.8")!]
private let grouper = DomainGrouper()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDNSPipeline(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    let small = input.byte() & 0x01 != 0
    var configuration = DetectionConfiguration.default
    if small { configuration.maxTrackedDomains = 8 }
    // The engine's 8 MB table of recent names would be allocated and cleared for every input (most of
    // the time under ASan); a small one also makes its collisions likely.
    configuration.recentNameSlots = small ? 256 : 4096
    // The same for the feature cache (800 KB) and the table of hosts' addresses (512 KB).
    configuration.featureCacheSlots = small ? 16 : 256
    configuration.hostAddressSlots = small ? 256 : 1024
    var pipeline = DNSPipeline(
        engine: DetectionEngine(configuration: configuration),
        // A grouping cache of 8,192 slots was half of what an input cost (cleared for each one).
        grouper: GroupingCache(grouper: grouper, capacity: small ? 4 : 256), sandboxes: sandboxes)
    var time = fuzzEpoch
    while !input.isAtEnd {
        let control = input.byte()
        let bytes = input.chunk()
        time += control & 0x80 != 0 ? 3_600_000_000_000 : 50_000_000
        let host = UInt8(2 + control & 0x03)
        let client = Endpoint(
            address: control & 0x04 != 0
                ? IPAddress(bytes: [0x20, 0x01, 0x0D, 0xB8] + [UInt8](repeating: 0, count: 11) + [host])!
                : IPAddress(bytes: [198, 18, 0, host])!,
            port: 40_000)
        let server = Endpoint(address: servers[Int(control >> 3 & 0x01)], port: 53)
        let transport: Transport = control & 0x10 != 0 ? .tcp : .udp
        let toClient = control & 0x20 != 0
        let origin = MessageOrigin(
            time: Timestamp(nanoseconds: time), source: toClient ? server : client,
            destination: toClient ? client : server, transport: transport)
        handle(bytes, origin, &pipeline)
        if control & 0x40 != 0 {
            let answer = DNSResponseBuilder.response(to: bytes.span, rcode: DNSResponseCode.nxDomain)
            let back = MessageOrigin(
                time: Timestamp(nanoseconds: time + 1_000_000), source: origin.destination,
                destination: origin.source, transport: transport)
            handle(answer, back, &pipeline)
        }
        require(
            pipeline.engine.trackedDomains <= configuration.maxTrackedDomains,
            "\(pipeline.engine.trackedDomains) domains tracked, limit \(configuration.maxTrackedDomains)")
    }
    return 0
}

private func handle(_ bytes: [UInt8], _ origin: MessageOrigin, _ pipeline: inout DNSPipeline) {
    guard case .success(let message) = DNSWireReader.parse(bytes.span) else { return }
    switch pipeline.handle(message, from: origin) {
    case .query(let event, let assessment):
        require(event.name == message.question?.name, "the event names another name than the query")
        require(
            assessment.nameScore >= 0 && assessment.nameScore <= 1, "name score \(assessment.nameScore) outside [0, 1]")
        require(
            assessment.domainScore.isFinite && assessment.domainScore >= 0, "domain score \(assessment.domainScore)")
        require(
            event.domain.labelCount <= event.name.labelCount, "domain key \(event.domain) longer than \(event.name)")
        check(assessment.verdict)
        let key = pipeline.engine.evidenceKey(for: event)
        if let (score, evidence) = pipeline.engine.evidence(for: key) {
            require(score.isFinite, "evidence score \(score)")
            for item in evidence { _ = item.description }
        }
        if !assessment.exempt {
            require(pipeline.engine.totals(for: key) != nil, "no state kept for a query's client and domain")
        }
    case .response(let event, let verdict):
        require(event.id == message.id, "a response paired with another ID")
        check(verdict)
    case .unmatchedResponse, .noQuestion:
        break
    }
}

private func check(_ verdict: Verdict?) {
    guard let verdict else { return }
    require(verdict.score.isFinite && verdict.threshold.isFinite, "verdict score \(verdict.score)")
    require(verdict.queries >= 1 && verdict.nameBytes >= 0, "verdict counts \(verdict.queries) \(verdict.nameBytes)")
    for item in verdict.evidence { _ = item.description }
    _ = verdict.domain.description
}
