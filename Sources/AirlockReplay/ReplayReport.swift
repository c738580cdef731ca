import AirlockEngine
import AirlockEvents

/// A domain group that got a verdict during replay, with the figures at the moment of the first alert.
public struct FlaggedDomain: Sendable {
    public var file: String
    public var domain: DomainKey
    public var verdict: VerdictKind
    /// Queries to the group in the replay (all of them, before and after the alert).
    public var queries: Int
    public var queriesBeforeAlert: Int
    public var nameBytesBeforeAlert: Int
    public var score: Double
    public var reasons: [String]
    public var explanation: String
    /// The rule that flagged it: `dns.tunnel.domain_score`, `dns.tunnel.campaign`, `dns.tunnel.beacon`,
    /// `dns.suspicious_name`…
    public var rule: String
    /// For a campaign: the domain groups convicted together (the first 32) and how many there were.
    public var campaign: [String]
    public var campaignSize: Int
    public var firstAlert: Timestamp
    public var client: Endpoint
    public var sandbox: SandboxID?
}

/// Connections that carried DNS around the resolver (DoH, DoT, DoQ, DNSCrypt), aggregated per
/// client address, destination, kind and server name.
public struct ObservedBypass: Sendable {
    public var file: String
    /// The first flow's start.
    public var time: Timestamp
    /// Flows seen with the same client address, destination, kind and server name.
    public var flows = 1
    public var client: Endpoint
    public var destination: Endpoint
    public var transport: Transport
    public var kind: String
    public var serverName: String?
    public var reason: String
}

/// A name that counted as suspicious for its domain without any alert being raised: material for
/// threat hunting, kept apart from `flagged` (one odd name is not an incident).
public struct SuspiciousName: Sendable {
    public var file: String
    public var name: String
    public var domain: DomainKey
    public var score: Double
    /// Suspicious names seen for this domain (only the highest-scoring one is kept).
    public var count: Int
}

/// Where a capture file stopped early.
public struct Truncation: Sendable {
    public var file: String
    public var packet: Int
    public var byteOffset: Int64?
    public var reason: String
}

/// Everything a replay found, across files.
public struct ReplaySummary: Sendable {
    public var files = 0
    public var packets = 0
    public var dnsMessages = 0
    public var queries = 0
    public var responses = 0
    public var unmatchedResponses = 0
    public var malformedByReason: [String: Int] = [:]
    public var truncations: [Truncation] = []
    public var flagged: [FlaggedDomain] = []
    public var bypasses: [ObservedBypass] = []
    public var suspiciousNames: [SuspiciousName] = []
    public var failures: [(file: String, message: String)] = []
    public var elapsedSeconds = 0.0
    public var peakTrackedDomains = 0
    /// With `--policy`: what the policy would have done, one entry per engine session (file, or the
    /// whole run with `--continuous`).
    public var policy: [PolicyReplaySummary] = []

    public init() {}

    public var malformed: Int { malformedByReason.values.reduce(0, +) }

    /// The `--summary` object.
    public func json() -> String {
        var w = JSONObjectWriter()
        w.add("files", files)
        w.add("packets", packets)
        w.add("dns_messages", dnsMessages)
        w.add("queries", queries)
        w.add("responses", responses)
        w.add("unmatched_responses", unmatchedResponses)
        w.add("malformed", malformed)
        var reasons = JSONObjectWriter()
        for (reason, count) in malformedByReason.sorted(by: { $0.key < $1.key }) { reasons.add(reason, count) }
        w.add("malformed_by_reason", raw: reasons.finish())
        w.add(
            "flagged",
            raw: JSONObjectWriter.array(
                flagged.map { f in
                    var o = JSONObjectWriter()
                    o.add("domain", f.domain.value)
                    o.add("grouped_by", f.domain.kind.rawValue)
                    o.add("verdict", f.verdict.rawValue)
                    o.add("queries", f.queries)
                    o.add("queries_before_alert", f.queriesBeforeAlert)
                    o.add("name_bytes_before_alert", f.nameBytesBeforeAlert)
                    o.add("score", f.score)
                    o.add("reasons", strings: f.reasons)
                    o.add("rule", f.rule)
                    if !f.campaign.isEmpty {
                        o.add("campaign", strings: f.campaign)
                        o.add("campaign_size", f.campaignSize)
                    }
                    o.add("first_alert", f.firstAlert.description)
                    o.add("client", f.client.description)
                    o.add("sandbox", f.sandbox?.name)
                    o.add("file", f.file)
                    o.add("explanation", f.explanation)
                    return o.finish()
                }))
        w.add(
            "bypasses",
            raw: JSONObjectWriter.array(
                bypasses.map { b in
                    var o = JSONObjectWriter()
                    o.add("kind", b.kind)
                    o.add("destination", b.destination.description)
                    o.add("transport", b.transport.rawValue)
                    o.add("server_name", b.serverName)
                    o.add("client", b.client.address.description)
                    o.add("flows", b.flows)
                    o.add("first_seen", b.time.description)
                    o.add("reason", b.reason)
                    o.add("file", b.file)
                    return o.finish()
                }))
        w.add(
            "suspicious_names",
            raw: JSONObjectWriter.array(
                suspiciousNames.map { n in
                    var o = JSONObjectWriter()
                    o.add("name", n.name)
                    o.add("domain", n.domain.value)
                    o.add("score", n.score)
                    o.add("count", n.count)
                    o.add("file", n.file)
                    return o.finish()
                }))
        w.add(
            "truncated",
            raw: JSONObjectWriter.array(
                truncations.map { t in
                    var o = JSONObjectWriter()
                    o.add("file", t.file)
                    o.add("stopped_at_packet", t.packet)
                    if let offset = t.byteOffset { o.add("byte_offset", Int(offset)) }
                    o.add("reason", t.reason)
                    return o.finish()
                }))
        w.add(
            "errors",
            raw: JSONObjectWriter.array(
                failures.map { f in
                    var o = JSONObjectWriter()
                    o.add("file", f.file)
                    o.add("error", f.message)
                    return o.finish()
                }))
        if !policy.isEmpty { w.add("policy", raw: JSONObjectWriter.array(policy.map { $0.json() })) }
        w.add("elapsed_seconds", elapsedSeconds)
        w.add("packets_per_second", elapsedSeconds > 0 ? Double(packets) / elapsedSeconds : 0)
        return w.finish()
    }
}
