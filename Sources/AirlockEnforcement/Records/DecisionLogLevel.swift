/// A decision record a log may keep or leave out by level.
public protocol NotableDecision {
    /// Whether this is worth logging when only the notable decisions are wanted: for DNS blocks,
    /// would-blocks, verdicts, alerts and errors; for HTTP denials, would-denials, errors and budget
    /// cut-offs.
    var isNotable: Bool { get }
}

extension DNSDecisionRecord: NotableDecision {}
extension HTTPDecisionRecord: NotableDecision {}

/// Which decisions reach a log (`--log-level`, `--http-log-level`): the DNS and the HTTP log alike.
public enum DecisionLogLevel: String, Sendable, CaseIterable {
    /// Every decision: every query, every request and tunnel, allowed or not.
    case all
    /// The notable decisions only (``NotableDecision/isNotable``).
    case notable
    /// Nothing.
    case none

    package func wants(_ record: some NotableDecision) -> Bool {
        switch self {
        case .all: return true
        case .notable: return record.isNotable
        case .none: return false
        }
    }

    /// The records of a batch a log at this level keeps.
    package func kept<Record: NotableDecision>(_ records: [Record]) -> [Record] {
        switch self {
        case .all: return records
        case .notable: return records.filter(\.isNotable)
        case .none: return []
        }
    }
}
