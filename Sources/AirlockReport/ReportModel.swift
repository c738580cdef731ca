import AirlockEngine
import AirlockEvents
import AirlockReplay

/// Everything the HTML report shows, gathered from a replay: values only, no HTML.
public struct ReportModel: Sendable {
    /// The capture files, in the order given.
    public var files: [String]
    public var summary: ReplaySummary
    /// First and last DNS message seen.
    public var start: Timestamp?
    public var end: Timestamp?
    /// One per flagged domain, or per campaign (its member domains together).
    public var incidents: [Incident] = []
    /// Clients by information sent, most first, each with its domains (bounded).
    public var clients: [ClientActivity] = []
    /// Domains by queries, most first (bounded): what a quiet capture shows instead of incidents.
    public var busiest: [DomainActivity] = []
    /// Distinct clients (sandbox, else address) and domain groups queried (all of them, not only the listed).
    public var clientCount = 0
    public var domainCount = 0
    /// Queries per record type over the whole run.
    public var queryTypes: [UInt16: Int] = [:]
    /// `sha256:` of the policy applied with `--policy`, if any.
    public var policyVersion: String?

    public init(files: [String], summary: ReplaySummary) {
        self.files = files
        self.summary = summary
    }
}

/// A flagged domain, or a campaign of domains convicted together, with what convicted it.
public struct Incident: Sendable {
    /// The domain, or the campaign's first domain.
    public var title: String
    /// Every domain group the incident covers (one, or a campaign's members).
    public var domains: [String]
    /// The first alerting verdict: rule, score, evidence (features against thresholds).
    public var verdict: Verdict
    public var firstAlert: Timestamp
    public var client: Endpoint
    public var sandbox: String?
    /// Queries to the incident's domains in the whole run (every client).
    public var totalQueries = 0
    /// With `--policy`: when the policy first refused a query to these domains, and what went out
    /// before it (queries, bytes of names, bytes of name information).
    public var firstBlock: Timestamp?
    public var beforeBlock = Leak()
    /// What went out before the first alert.
    public var beforeAlert = Leak()
    /// Queries over time, binned.
    public var timeline: Timeline
    /// The convicting client's names up to the alert (the last ``Incident/nameLimit``).
    public var names: [NameSample] = []
    static let nameLimit = 24

    public init(title: String, domains: [String], verdict: Verdict, firstAlert: Timestamp, client: Endpoint,
        sandbox: String?, timeline: Timeline)
    {
        self.title = title
        self.domains = domains
        self.verdict = verdict
        self.firstAlert = firstAlert
        self.client = client
        self.sandbox = sandbox
        self.timeline = timeline
    }

    /// Queries and bytes that left before a moment.
    public struct Leak: Sendable, Equatable {
        public var queries = 0
        /// Bytes of query names (presentation length).
        public var nameBytes = 0
        /// Bytes of information in the names below their domain (length × entropy / 8).
        public var informationBytes = 0.0
    }
}

/// One query name, as the engine read it.
public struct NameSample: Sendable, Equatable {
    public var time: Timestamp
    public var name: String
    public var qtype: UInt16
    public var nameScore: Double
    public var informationBytes: Double
}

/// Queries of an incident's domains on a grid of time × information per name, per record type: a
/// fixed number of cells whatever the number of queries, so a million-query tunnel draws as fast as
/// ten queries (one SVG path per record type, never one element per query).
public struct Timeline: Sendable {
    public static let columns = 480
    public static let rows = 96
    public var start: Timestamp
    public var end: Timestamp
    /// The top of the y axis, in bytes of information per name.
    public var maxInformation: Double
    /// Occupied cells (row × columns + column) per record type, and how many queries fell in each type.
    public var cells: [UInt16: Set<Int>] = [:]
    public var counts: [UInt16: Int] = [:]

    public init(start: Timestamp, end: Timestamp, maxInformation: Double) {
        self.start = start
        self.end = end
        self.maxInformation = max(maxInformation, 1)
    }

    /// The column a time falls in.
    public func column(_ time: Timestamp) -> Int {
        let span = max(end.seconds(since: start), 1e-9)
        return min(Self.columns - 1, max(0, Int(time.seconds(since: start) / span * Double(Self.columns))))
    }

    public mutating func add(_ time: Timestamp, information: Double, qtype: UInt16) {
        let row = min(Self.rows - 1, max(0, Int(information / maxInformation * Double(Self.rows - 1))))
        cells[qtype, default: []].insert(row * Self.columns + column(time))
        counts[qtype, default: 0] += 1
    }
}

/// One client (sandbox, else address) and the domains it sent information to.
public struct ClientActivity: Sendable {
    public var client: String
    public var queries = 0
    public var informationBytes = 0.0
    /// Most information first (bounded).
    public var domains: [DomainActivity] = []
}

/// Queries and information to one domain group.
public struct DomainActivity: Sendable {
    public var domain: String
    public var queries = 0
    public var informationBytes = 0.0
    public var clients = 0
    public var flagged = false
}
