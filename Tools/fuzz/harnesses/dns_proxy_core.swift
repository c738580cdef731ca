// The live DNS proxy's protocol core (no sockets) on hostile client queries and hostile upstream
// answers: parsing, policy decisions, the engine and quarantine, the packet cache (which edits
// upstream bytes: ID, question case, TTLs), truncation for UDP clients, retries and timeouts, and
// the decision log lines.
//
// Input: a configuration byte (bit 0: packet cache on), then operations until the input ends. Each
// starts with a byte whose bits 0-1 give the kind:
//   0  client query: bits 2-3 the client (198.18.1.10-13, sandbox "agent" in enforce mode, or with
//      bit 5 198.18.7.10-13 under the report-mode defaults), bit 4 TCP; then [2-byte length][query]
//   1  upstream answer to the latest forwarded query: with bit 2 the harness builds it from the
//      forwarded query (QR set, [rcode byte: bits 0-3 RCODE, bit 4 TC], [ANCOUNT byte], then
//      [2-byte length][records]); without, [2-byte length][answer] with the forwarded ID written
//      in when bit 3 is set. Bit 4 sends it from another address than the upstream's (spoofing).
//   2  time passes: [step byte] (see timeStep), then deadlines expire
//   3  the latest forwarded query's upstream fails (bit 2: the whole upstream, as an ICMP error does)
// Every response must be a DNS message that answers an ID the client used and fits the client's UDP
// size; every forward must carry the ID it claims and nothing but the question in lower case and a
// clean OPT record (no options, no flag bits but DO, no records, no trailing bytes); every decision
// log line must be one valid JSON line.
import AirlockDNSProxy
import AirlockDNSWire
import AirlockEnforcement
import AirlockEvents
import AirlockPolicy
import Foundation

// `recent_name_slots` (and the small grouping cache below): the engine's default 8 MB table of recent
// names and an 800 KB cache, allocated for every input, cut this harness to ~150 executions a second.
// `feature_cache_slots` and `host_address_slots` likewise: their 800 KB and 512 KB tables were mapped,
// cleared and unmapped for every input (half the harness's time was the kernel's).
private let policyText = """
    version: 1
    mode: report
    dns:
      default: allow
      deny: [.blocked.example]
      allowed_types: [A, AAAA, TXT, CNAME, MX, HTTPS, NS, SOA]
      quarantine_seconds: 600
      leak_budget: {bytes: 2048, window_seconds: 300}
      rebinding:
        allow_private_answers_for: [.corp.internal]
      timeout_ms: 500
      attempts: 2
    sandboxes:
      - name: agent
        match: [198.18.1.0/24]
        mode: enforce
        dns:
          default: allow
          deny: [.evil.example]
    detection:
      recent_name_slots: 1024
      feature_cache_slots: 64
      host_address_slots: 256
    """
private let upstreams = [
    Endpoint(address: IPAddress("198.18.0.53")!, port: 53), Endpoint(address: IPAddress("198.18.0.54")!, port: 53),
]
private let local = Endpoint(address: IPAddress("127.0.0.1")!, port: 53)
private let snapshot: PolicySnapshot = {
    let policy = try! PolicyLoader.load(
        text: policyText, name: "fuzz.yaml", knownDetectionKeys: PolicySnapshot.knownDetectionKeys)
    return try! PolicySnapshot(policy: policy, defaultUpstreams: upstreams)
}()

/// What the harness remembers to check answers: the IDs each client used and the UDP size it allows.
private struct Expectations {
    var sizes: [ClientHandle: [UInt16: Int]] = [:]
    var forwards: [UpstreamQuery] = []

    mutating func query(_ bytes: [UInt8], from client: ClientHandle) {
        guard bytes.count >= 2 else { return }
        let id = UInt16(bytes[0]) << 8 | UInt16(bytes[1])
        var limit = 512
        if case .success(let message) = DNSWireReader.parse(bytes.span), let edns = message.edns {
            limit = max(512, Int(edns.udpPayloadSize))
        }
        sizes[client, default: [:]][id] = max(sizes[client]?[id] ?? 0, limit)
    }

    mutating func check(_ action: ProxyAction) {
        switch action {
        case .respond(let client, let bytes):
            guard case .success(let message) = DNSWireReader.parse(bytes.span) else {
                return require(false, "the proxy sent a client bytes that are not DNS: \(hex(bytes))")
            }
            require(message.isResponse, "the proxy sent a client a message without QR")
            guard let limit = sizes[client]?[message.id] else {
                return require(false, "the proxy answered ID \(message.id), which \(client.peer) never used")
            }
            if client.transport == .udp {
                require(bytes.count <= limit, "a \(bytes.count)-byte UDP answer to a client that takes \(limit)")
            }
        case .forward(let query):
            guard case .success(let message) = DNSWireReader.parse(query.bytes.span) else {
                return require(false, "the proxy forwarded bytes that are not DNS: \(hex(query.bytes))")
            }
            require(message.id == query.id, "forwarded ID \(message.id), claimed \(query.id)")
            // Only the question, in lower case, and a clean OPT record may reach an upstream.
            let sections = message.answerCount + message.authorityCount + message.additionalCount
            require(
                message.questionCount == 1 && sections == (message.edns == nil ? 0 : 1) && message.trailingBytes == 0,
                "forwarded more than a question: \(hex(query.bytes))")
            require(message.flags.rawValue & ~0x0130 == 0, "forwarded header bits \(message.flags)")
            let cleanOPT = message.edns.map { $0.optionCodes.isEmpty && $0.flags & 0x7FFF == 0 } ?? true
            require(cleanOPT, "forwarded EDNS data")
            if let range = message.questionRange {
                let name = query.bytes[range.lowerBound..<(range.upperBound - 4)]  // type and class last
                require(!name.contains { $0 >= 0x41 && $0 <= 0x5A }, "forwarded upper case")
            }
            require(upstreams.contains(query.upstream), "forwarded to \(query.upstream)")
            forwards.append(query)
        case .none:
            break
        }
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDNSProxyCore(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    var configuration = ProxyConfiguration(listen: [local], upstreams: upstreams)
    configuration.cacheEntries = input.byte() & 0x01 != 0 ? 64 : 0
    var core = DNSProxyCore(configuration: configuration, shared: SharedInspection(policy: snapshot, groupingCacheSlots: 64))
    var expect = Expectations()
    var records: [DNSDecisionRecord] = []
    var wall = fuzzEpoch
    var monotonic: Int64 = 1_000_000_000
    var now: ProxyTime { ProxyTime(wall: Timestamp(nanoseconds: wall), monotonic: monotonic) }
    while !input.isAtEnd {
        let op = input.byte()
        wall += 1_000_000
        monotonic += 1_000_000
        switch op & 0x03 {
        case 0:
            let host: UInt8 = 10 + (op >> 2 & 0x03)
            let client = ClientHandle(
                transport: op & 0x10 != 0 ? .tcp : .udp,
                peer: Endpoint(address: IPAddress(bytes: [198, 18, op & 0x20 != 0 ? 7 : 1, host])!, port: 40_000),
                local: local, channel: 0)
            let bytes = input.chunk()
            expect.query(bytes, from: client)
            expect.check(core.receiveQuery(bytes, from: client, at: now))
        case 1:
            guard let forward = expect.forwards.last else {
                _ = input.chunk()
                continue
            }
            var answer: [UInt8]
            if op & 0x04 != 0 {
                let rcode = input.byte()
                let count = input.byte()
                answer = forward.bytes
                if answer.count >= 12 {
                    answer[2] |= 0x80 | (rcode & 0x10 != 0 ? 0x02 : 0)
                    answer[3] = 0x80 | (rcode & 0x0F)
                    answer[6] = 0
                    answer[7] = count
                }
                answer += input.chunk()
            } else {
                answer = input.chunk()
                if op & 0x08 != 0 && answer.count >= 2 {
                    answer[0] = UInt8(forward.id >> 8)
                    answer[1] = UInt8(forward.id & 0xFF)
                }
            }
            let from = op & 0x10 != 0 ? Endpoint(address: IPAddress("198.18.0.66")!, port: 53) : forward.upstream
            expect.check(core.receiveUpstream(answer, from: from, transport: forward.transport, at: now))
        case 2:
            let step = max(0, timeStep(input.byte()))
            wall += step
            monotonic += step
            var actions: [ProxyAction] = []
            core.expire(at: now, into: &actions)
            for action in actions { expect.check(action) }
        default:
            guard let forward = expect.forwards.last else { continue }
            var actions: [ProxyAction] = []
            core.upstreamFailed(
                forward.upstream, transport: forward.transport, id: op & 0x04 != 0 ? nil : forward.id, at: now,
                into: &actions)
            for action in actions { expect.check(action) }
        }
        core.takeRecords(into: &records)
        for record in records { checkLogLine(record) }
    }
    return 0
}

private func checkLogLine(_ record: DNSDecisionRecord) {
    var line: [UInt8] = []
    DecisionFormat.append(record, to: &line)
    require(line.last == 0x0A && line.dropLast().allSatisfy { $0 != 0x0A }, "a decision log entry that is not one line")
    require(
        isJSONObject(Array(line.dropLast())),
        "a decision log line that is not a JSON object: \(String(decoding: line, as: UTF8.self))")
}
