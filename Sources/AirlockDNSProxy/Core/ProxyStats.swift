/// Counters one worker keeps; the server sums them for the status line and the exit summary.
public struct ProxyStats: Sendable {
    public var queries = 0
    public var forwarded = 0
    public var blocked = 0
    public var wouldBlock = 0
    public var cacheHits = 0
    public var servfail = 0
    public var formerr = 0
    public var notimp = 0
    public var dropped = 0
    public var rebindingBlocked = 0
    public var retries = 0
    public var tcpFallbacks = 0
    public var upstreamTimeouts = 0
    public var upstreamUnreachable = 0
    public var upstreamMalformed = 0
    public var upstreamUnmatched = 0
    public var upstreamMismatched = 0
    public var truncatedToClient = 0
    public var overloaded = 0
    /// Bad client packets by reason (the parser's snake_case reasons, plus `oversized`,
    /// `response_as_query`, `question_count`).
    public var malformed: [String: Int] = [:]

    public init() {}

    public mutating func add(_ o: ProxyStats) {
        queries += o.queries
        forwarded += o.forwarded
        blocked += o.blocked
        wouldBlock += o.wouldBlock
        cacheHits += o.cacheHits
        servfail += o.servfail
        formerr += o.formerr
        notimp += o.notimp
        dropped += o.dropped
        rebindingBlocked += o.rebindingBlocked
        retries += o.retries
        tcpFallbacks += o.tcpFallbacks
        upstreamTimeouts += o.upstreamTimeouts
        upstreamUnreachable += o.upstreamUnreachable
        upstreamMalformed += o.upstreamMalformed
        upstreamUnmatched += o.upstreamUnmatched
        upstreamMismatched += o.upstreamMismatched
        truncatedToClient += o.truncatedToClient
        overloaded += o.overloaded
        for (k, v) in o.malformed { malformed[k, default: 0] += v }
    }

    /// One JSON object (stable keys), for the exit summary and SIGUSR1.
    public var json: String {
        let fields: [(String, Int)] = [
            ("queries", queries), ("forwarded", forwarded), ("blocked", blocked), ("would_block", wouldBlock),
            ("cache_hits", cacheHits), ("servfail", servfail), ("formerr", formerr), ("notimp", notimp),
            ("dropped", dropped), ("rebinding_blocked", rebindingBlocked), ("retries", retries),
            ("tcp_fallbacks", tcpFallbacks), ("upstream_timeouts", upstreamTimeouts),
            ("upstream_unreachable", upstreamUnreachable), ("upstream_malformed", upstreamMalformed),
            ("upstream_unmatched", upstreamUnmatched), ("upstream_mismatched", upstreamMismatched),
            ("truncated_to_client", truncatedToClient), ("overloaded", overloaded),
        ]
        var out = "{" + fields.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",")
        out +=
            ",\"malformed\":{"
            + malformed.sorted { $0.key < $1.key }.map { "\"\($0.key)\":\($0.value)" }
            .joined(separator: ",") + "}}"
        return out
    }
}
