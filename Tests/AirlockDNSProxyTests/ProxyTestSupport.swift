import AirlockDNSProxy
import AirlockDNSWire
import AirlockEnforcement
import AirlockEvents
import AirlockPolicy
import Testing

/// A core wired to a policy written inline, a fake clock, and helpers to build queries and answers.
struct CoreHarness {
    var core: DNSProxyCore
    let shared: SharedInspection
    var time = ProxyTime(wall: Timestamp(seconds: 1_700_000_000, microseconds: 0), monotonic: 1_000_000_000)
    static let local = Endpoint(address: .v4(0x7F00_0001), port: 53)
    static let upstreamA = Endpoint(address: .v4(0xC612_0035), port: 53)  // 198.18.0.53
    static let upstreamB = Endpoint(address: .v4(0xC612_0036), port: 53)  // 198.18.0.54

    init(policy text: String, cacheEntries: Int = 0, logLevel: DecisionLogLevel = .all) throws {
        let policy = try PolicyLoader.load(
            text: text, name: "test.yaml", knownDetectionKeys: PolicySnapshot.knownDetectionKeys)
        let snapshot = try PolicySnapshot(policy: policy, defaultUpstreams: [Self.upstreamA, Self.upstreamB])
        shared = SharedInspection(policy: snapshot)
        var configuration = ProxyConfiguration(listen: [Self.local], upstreams: [Self.upstreamA, Self.upstreamB])
        configuration.cacheEntries = cacheEntries
        configuration.logLevel = logLevel
        core = DNSProxyCore(configuration: configuration, shared: shared)
    }

    static func client(_ address: String = "198.18.1.10", port: UInt16 = 40_000, transport: Transport = .udp)
        -> ClientHandle
    {
        ClientHandle(
            transport: transport, peer: Endpoint(address: IPAddress(address)!, port: port), local: local, channel: 0)
    }

    mutating func advance(seconds: Double) {
        let ns = Int64(seconds * 1e9)
        time = ProxyTime(wall: Timestamp(nanoseconds: time.wall.nanoseconds + ns), monotonic: time.monotonic + ns)
    }

    mutating func query(
        _ name: String, type: UInt16 = DNSRecordType.a, id: UInt16 = 0x1234, client: ClientHandle = client(),
        edns: UInt16? = 1232
    ) -> ProxyAction {
        advance(seconds: 0.01)
        return core.receiveQuery(Self.queryBytes(name, type: type, id: id, edns: edns), from: client, at: time)
    }

    static func queryBytes(_ name: String, type: UInt16 = DNSRecordType.a, id: UInt16 = 0x1234, edns: UInt16? = 1232)
        -> [UInt8]
    {
        let labels = name.split(separator: ".").map { Array($0.utf8) }
        return DNSQueryBuilder.query(labels: labels, type: type, id: id, ednsUDPPayloadSize: edns)!
    }

    mutating func answer(
        _ forward: UpstreamQuery, _ records: [TestRecord] = [.a("93.184.216.34")], rcode: UInt16 = 0, tc: Bool = false
    ) -> ProxyAction {
        advance(seconds: 0.005)
        return core.receiveUpstream(
            Self.response(to: forward.bytes, records: records, rcode: rcode, tc: tc), from: forward.upstream,
            transport: forward.transport, at: time)
    }

    /// An answer to `query`: its header and question, the records (owner: a pointer to the question
    /// name), no OPT.
    static func response(
        to query: [UInt8], records: [TestRecord], rcode: UInt16 = 0, tc: Bool = false, ttl: UInt32 = 300
    ) -> [UInt8] {
        guard case .success(let message) = DNSWireReader.parse(query.span), let range = message.questionRange else {
            return []
        }
        var out = Array(query[0..<2])
        var flags: UInt16 = 0x8000 | 0x0400 | (message.flags.rd ? 0x0100 : 0) | 0x0080 | (rcode & 0xF)
        if tc { flags |= 0x0200 }
        out += [UInt8(flags >> 8), UInt8(flags & 0xFF), 0, 1, 0, UInt8(records.count), 0, 0, 0, 0]
        out += query[range]
        for record in records {
            out += [0xC0, 0x0C]
            let (type, rdata) = record.wire
            out += [UInt8(type >> 8), UInt8(type & 0xFF), 0, 1]
            out += [UInt8(ttl >> 24), UInt8((ttl >> 16) & 0xFF), UInt8((ttl >> 8) & 0xFF), UInt8(ttl & 0xFF)]
            out += [UInt8(rdata.count >> 8), UInt8(rdata.count & 0xFF)]
            out += rdata
        }
        return out
    }

    var records: [DNSDecisionRecord] { mutating get { core.takeRecords() } }
}

enum TestRecord {
    case a(String)
    case aaaa(String)
    case txt(Int)

    var wire: (UInt16, [UInt8]) {
        switch self {
        case .a(let text): return (DNSRecordType.a, IPAddress(text)!.bytes)
        case .aaaa(let text): return (DNSRecordType.aaaa, IPAddress(text)!.bytes)
        case .txt(let length):
            var rdata: [UInt8] = []
            var left = length
            while left > 0 {
                let n = min(left, 255)
                rdata.append(UInt8(n))
                rdata += [UInt8](repeating: UInt8(ascii: "x"), count: n)
                left -= n
            }
            return (DNSRecordType.txt, rdata)
        }
    }
}

extension ProxyAction {
    var forwarded: UpstreamQuery? {
        if case .forward(let query) = self { return query }
        return nil
    }

    var response: (client: ClientHandle, bytes: [UInt8])? {
        if case .respond(let client, let bytes) = self { return (client, bytes) }
        return nil
    }

    /// The response parsed (nil when the action is not a response or does not parse).
    var message: DNSMessage? {
        guard let bytes = response?.bytes, case .success(let m) = DNSWireReader.parse(bytes.span) else { return nil }
        return m
    }

    var isNone: Bool {
        if case .none = self { return true }
        return false
    }
}

/// Deterministic random labels for tunnel-shaped names.
struct LabelGenerator {
    var state: UInt64 = 0x9E37_79B9_7F4A_7C15

    mutating func next() -> UInt64 {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return state
    }

    mutating func base32(_ length: Int) -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz234567")
        return String((0..<length).map { _ in alphabet[Int(next() % 32)] })
    }
}

let basicPolicy = """
    version: 1
    mode: enforce
    dns:
      default: allow
      deny: [evil.example.com]
      quarantine_seconds: 60
      leak_budget: {bytes: 1000000, window_seconds: 300}
      timeout_ms: 500
      attempts: 2
    """
