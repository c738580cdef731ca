import AirlockEvents

/// What a threat-intelligence feed says about a name (RPZ actions, RFC-draft "DNS Response Policy
/// Zones" §4: CNAME `.` NXDOMAIN, CNAME `*.` NODATA, CNAME `rpz-passthru.` PASSTHRU, CNAME `rpz-drop.`).
public enum FeedAction: UInt8, Sendable, Hashable, CustomStringConvertible {
    /// Answer "no such name".
    case nxdomain
    /// Answer "the name exists, no records of this type" (NOERROR, empty answer).
    case nodata
    /// Let the name through: a feed's own exception, beating its (and later feeds') blocks.
    case passthru
    /// RPZ's "drop": no answer at all; Airlock answers NXDOMAIN instead of leaving a client waiting.
    case drop

    public var description: String {
        switch self {
        case .nxdomain: return "NXDOMAIN"
        case .nodata: return "NODATA"
        case .passthru: return "PASSTHRU"
        case .drop: return "DROP"
        }
    }
}

/// Which feed and entry matched a name: carried in the decision, the log line and the alert.
public struct FeedMatch: Sendable, Hashable {
    /// The feed's policy id (`dns.feeds[0]`) and its name (`urlhaus`).
    public var feedID: String
    public var feedName: String
    /// The entry as the feed wrote it: `evil.example`, `*.evil.example`.
    public var entry: String
    public var action: FeedAction
    /// Where the entry is: the feed file and its line.
    public var file: String
    public var line: Int
}

/// One loaded feed: names and wildcard triggers in two hash tables, so matching a query costs one
/// lookup for the name and one per parent domain, whatever the feed's size (a million entries is the
/// same few lookups). Immutable once built and shared by every sandbox that lists the feed; a policy
/// reload (SIGHUP) builds new tables and swaps them in with the policy.
public final class FeedTable: Sendable {
    public enum Format: String, Sendable, CaseIterable {
        /// A Response Policy Zone file (BIND zone syntax): QNAME triggers, wildcards, the CNAME actions.
        case rpz
        /// A hosts file (`0.0.0.0 name`, `127.0.0.1 name`, `:: name`): each name blocked, NXDOMAIN.
        case hosts
        /// One domain per line (`#` comments): the domain and every name under it, NXDOMAIN.
        case domains
    }

    public let id: String
    public let name: String
    public let path: String
    public let format: Format
    /// Lower-case name → packed entry (action in the low 8 bits, line above).
    private let exact: [String: UInt64]
    /// Lower-case domain `d` → packed entry of a `*.d` trigger (names strictly below `d`).
    private let wildcard: [String: UInt64]
    /// Entries loaded, and lines skipped (unsupported triggers or actions, local data), with the
    /// first few reasons.
    public let entries: Int
    public let skipped: Int
    public let skippedExamples: [String]

    init(
        id: String, name: String, path: String, format: Format, exact: [String: UInt64], wildcard: [String: UInt64],
        skipped: Int, skippedExamples: [String]
    ) {
        self.id = id
        self.name = name
        self.path = path
        self.format = format
        self.exact = exact
        self.wildcard = wildcard
        self.entries = exact.count + wildcard.count
        self.skipped = skipped
        self.skippedExamples = skippedExamples
    }

    static func pack(_ action: FeedAction, line: Int) -> UInt64 { UInt64(line) << 8 | UInt64(action.rawValue) }

    /// The entry that applies to `name`: the name itself, else the closest `*.parent` trigger.
    public func match(_ name: DNSName) -> FeedMatch? {
        let text = name.description
        if let packed = exact[text] { return found(packed, entry: text) }
        var rest = Substring(text)
        while let dot = rest.firstIndex(of: ".") {
            rest = rest[rest.index(after: dot)...]
            let parent = String(rest)
            if let packed = wildcard[parent] { return found(packed, entry: "*." + parent) }
        }
        return nil
    }

    private func found(_ packed: UInt64, entry: String) -> FeedMatch {
        FeedMatch(
            feedID: id, feedName: name, entry: entry, action: FeedAction(rawValue: UInt8(packed & 0xFF)) ?? .nxdomain,
            file: path, line: Int(packed >> 8))
    }
}
