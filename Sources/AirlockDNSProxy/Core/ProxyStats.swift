import AirlockEnforcement
import AirlockEvents

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
    /// Queries with an EDNS version above 0, answered BADVERS.
    public var badVersion = 0
    /// Queries whose name had upper-case letters, forwarded in lower case.
    public var strippedCase = 0
    /// EDNS options removed from queries, and their bytes.
    public var strippedOptions = 0
    public var strippedOptionBytes = 0
    /// Queries with an option no ordinary client sends (``QueryStripped/unusualOption``).
    public var strippedUnusualOptions = 0
    /// Queries with header or OPT flag bits set that are not forwarded.
    public var strippedFlags = 0
    /// Bytes after the last record, dropped.
    public var strippedTrailingBytes = 0
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
        badVersion += o.badVersion
        strippedCase += o.strippedCase
        strippedOptions += o.strippedOptions
        strippedOptionBytes += o.strippedOptionBytes
        strippedUnusualOptions += o.strippedUnusualOptions
        strippedFlags += o.strippedFlags
        strippedTrailingBytes += o.strippedTrailingBytes
        for (k, v) in o.malformed { malformed[k, default: 0] += v }
    }

    /// Counts what was left out of one query.
    mutating func countStripped(_ s: QueryStripped) {
        if s.upperCaseLetters > 0 { strippedCase += 1 }
        strippedOptions += s.ednsOptions.count
        strippedOptionBytes += s.ednsOptionBytes
        if s.unusualOption { strippedUnusualOptions += 1 }
        if s.headerFlags != 0 || s.ednsFlags != 0 { strippedFlags += 1 }
        strippedTrailingBytes += s.trailingBytes
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
            ("truncated_to_client", truncatedToClient), ("overloaded", overloaded), ("badvers", badVersion),
            ("stripped_case", strippedCase), ("stripped_edns_options", strippedOptions),
            ("stripped_edns_option_bytes", strippedOptionBytes), ("stripped_unusual_options", strippedUnusualOptions),
            ("stripped_flags", strippedFlags), ("stripped_trailing_bytes", strippedTrailingBytes),
        ]
        var out = "{" + fields.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",")
        out +=
            ",\"malformed\":{"
            + malformed.sorted { $0.key < $1.key }.map { "\(JSON.string($0.key)):\($0.value)" }
            .joined(separator: ",") + "}}"
        return out
    }
}
