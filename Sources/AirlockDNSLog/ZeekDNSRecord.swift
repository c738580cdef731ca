import AirlockEngine
import AirlockEvents

/// One line of a Zeek-style `dns.log`: a query joined with its response (or either alone, when the
/// other was never seen), with Zeek's fields and meanings, plus Airlock's verdict.
///
/// Zeek's semantics are kept where a dashboard would notice: `ts` is the query's time, `rtt` the
/// delay to the response, `query` lower case, `answers`/`TTLs` only from the answer section,
/// `rejected` a response with no records at all, `RD` and `Z` from the query, `AA`/`RA` from the
/// response. One deliberate difference: `TC` is the response's (Zeek copies the query's, which is
/// always clear), because a truncated answer is what an analyst wants to see.
public struct ZeekDNSRecord: Sendable, Equatable {
    public var ts: Timestamp
    public var uid: String
    /// The client (Zeek's originator) and the server (responder).
    public var orig: Endpoint
    public var resp: Endpoint
    public var proto: Transport
    public var transID: UInt16
    /// Seconds from query to response; nil without both (or when they share a timestamp, as in Zeek).
    public var rtt: Double?
    /// The question's name, lower case, bytes outside printable ASCII as `\xNN`.
    public var query: String?
    public var qclass: UInt16?
    public var qtype: UInt16?
    public var rcode: UInt16?
    public var aa = false
    public var tc = false
    public var rd = false
    public var ra = false
    /// The three header bits after RA (Z, AD, CD), as Zeek reads `msg$Z`.
    public var z: UInt16 = 0
    public var answers: [ZeekAnswer] = []
    public var rejected = false
    /// Airlock's view of the query: nil for a response whose query was never seen.
    public var airlock: AirlockDNSFields?

    public init(ts: Timestamp, uid: String, orig: Endpoint, resp: Endpoint, proto: Transport, transID: UInt16) {
        self.ts = ts
        self.uid = uid
        self.orig = orig
        self.resp = resp
        self.proto = proto
        self.transID = transID
    }
}

/// Airlock's fields on a `dns.log` line (written under the `airlock.` prefix, the way Zeek names a
/// nested record's fields): the domain group, the scores and the verdict, if any.
public struct AirlockDNSFields: Sendable, Equatable {
    public var domain: String
    public var groupedBy: String
    public var sandbox: String?
    public var nameScore: Double
    public var domainScore: Double
    public var exempt: Bool
    /// `tunnel` or `suspicious-name` when a verdict applies to this query or its response.
    public var verdict: String?
    public var rule: String?
    public var score: Double?
    /// True on the record that raised the alert (the verdict's first record).
    public var alert = false
    /// A campaign verdict's member domains.
    public var campaign: [String] = []

    public init(event: DNSQueryEvent, assessment: DNSAssessment) {
        domain = event.domain.value
        groupedBy = event.domain.kind.rawValue
        sandbox = event.sandbox?.name
        nameScore = assessment.nameScore
        domainScore = assessment.domainScore
        exempt = assessment.exempt
        if let verdict = assessment.verdict { apply(verdict) }
    }

    /// Records a verdict (the query's, or one its response reached).
    public mutating func apply(_ verdict: Verdict) {
        self.verdict = verdict.kind.rawValue
        rule = verdict.rule
        score = verdict.score
        alert = alert || verdict.isFirst
        campaign = verdict.members.map(\.value)
    }
}
