import AirlockEnforcement
import AirlockEngine
import AirlockEvents
import AirlockSystem
import AirlockTestSupport
import Foundation

@testable import AirlockAlerts

/// Decisions shaped like what the DNS proxy hands over during a tunnel, built through the real
/// builder from engine values.
enum Samples {
    static let client = Endpoint(address: IPAddress("198.18.1.7")!, port: 40_000)
    static let resolver = Endpoint(address: IPAddress("198.18.0.53")!, port: 53)
    static let domain = DomainKey(value: "pirate.sea", kind: .unlistedSuffix, labelCount: 2)

    static func tunnelVerdict(queries: Int, first: Bool) -> Verdict {
        Verdict(
            kind: .tunnel, rule: "dns.tunnel.domain_score", score: 2.41, threshold: 1, domain: domain,
            evidence: [
                Evidence(feature: "suspicious_names", value: 6, threshold: 4, contribution: 1.5),
                Evidence(feature: "name_information_bytes", value: 1800, threshold: 1024, contribution: 0.9),
            ], isFirst: first, queries: queries, nameBytes: queries * 60)
    }

    static func query(_ i: Int, at seconds: Double, sandbox: String? = "agent-1") -> DNSQueryEvent {
        DNSQueryEvent(
            time: Timestamp(seconds: seconds), client: client, server: resolver, transport: .udp, id: UInt16(i & 0xFFFF),
            name: DNSName("q\(i)x7f3k9a2b.pirate.sea")!, qtype: DNSRecordType.txt, domain: domain,
            sandbox: sandbox.map(SandboxID.init))
    }

    /// A deterministic tunnel-like name: 40 base32 characters from a counter.
    static func tunnelName(_ i: Int) -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz234567")
        var state = UInt64(i) &* 0x9E37_79B9_7F4A_7C15 &+ 0x1234_5678
        var label = ""
        for _ in 0..<40 {
            state ^= state >> 29
            state = state &* 0xBF58_476D_1CE4_E5B9
            label.append(alphabet[Int(state >> 59)])
        }
        return label + ".pirate.sea"
    }

    /// Runs `count` tunnel queries (one every `interval` s) through the real engine and builds each
    /// decision with the builder, as the proxy does. Queries before the verdict are routine.
    static func tunnelStream(
        count: Int, start: Double = 1_700_000_000, interval: Double = 0.01, sandbox: String? = "agent-1",
        builder: DecisionEventBuilder = DecisionEventBuilder(policyVersion: String(repeating: "ab", count: 32))
    ) -> [DecisionEvent] {
        var engine = DetectionEngine()
        return (0..<count).map { i in
            let q = DNSQueryEvent(
                time: Timestamp(seconds: start + Double(i) * interval), client: client, server: resolver, transport: .udp,
                id: UInt16(i & 0xFFFF), name: DNSName(tunnelName(i))!, qtype: DNSRecordType.txt, domain: domain,
                sandbox: sandbox.map(SandboxID.init))
            return builder.decision(query: q, assessment: engine.inspect(q))
        }
    }

    /// Only the decisions that raise alerts.
    static func tunnelDecisions(count: Int, start: Double = 1_700_000_000, interval: Double = 0.01, sandbox: String? = "agent-1")
        -> [DecisionEvent]
    {
        tunnelStream(count: count, start: start, interval: interval, sandbox: sandbox).filter { $0.alertKind != nil }
    }

    static func routine(at seconds: Double) -> DecisionEvent {
        var engine = DetectionEngine()
        let q = query(0, at: seconds)
        return DecisionEventBuilder().decision(query: DNSQueryEvent(
            time: q.time, client: q.client, server: q.server, transport: .udp, id: 1, name: DNSName("www.example.com")!,
            qtype: DNSRecordType.a, domain: DomainKey(value: "example.com", kind: .registeredDomain, labelCount: 2)),
            assessment: engine.inspect(q))
    }

    static func parse(_ line: String) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any] ?? [:]
    }

    static func temporaryDirectory(_ name: String) -> String {
        let path = NSTemporaryDirectory() + "airlock-alerts-\(name)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// The repository root, from this file's path.
    static var repositoryRoot: URL { Repository.root }

    /// A free loopback TCP port (bound, read, released).
    static func freePort() -> UInt16 {
        let listener = try! TCPListener(host: "127.0.0.1", port: 0)
        defer { listener.close() }
        return listener.port
    }
}
