import AirlockEnforcement
import AirlockEngine
import AirlockEvents

/// The decisions worth a human. Everything else is routine and only counted in metrics.
public enum AlertKind: String, Sendable, Equatable, Hashable, CaseIterable, Comparable {
    /// The engine found a tunnel on a registered domain.
    case tunnel = "dns-tunnel"
    /// Queries stopped because their domain is quarantined (without a fresh verdict on this event).
    case quarantine
    /// A leak or upload budget ran out.
    case budgetExhausted = "budget-exhausted"
    /// DNS taken around Airlock: DoH, DoT, DoQ, DNSCrypt, plain DNS to another resolver.
    case resolverBypass = "resolver-bypass"
    /// TLS SNI does not match the requested host (domain fronting, CONNECT smuggling).
    case sniMismatch = "sni-mismatch"
    /// A cloud metadata service was contacted from a sandbox.
    case metadataAccess = "metadata-access"
    /// A policy rule denied access across the sandbox boundary.
    case policyDenial = "policy-denial"
    /// One name that carries a payload on its own (the engine's suspicious-name verdict: enough
    /// bytes of encoded data below its domain for a secret, or bytes no host name has). Last in the
    /// list so the other kinds keep their EVE signature ids.
    case suspiciousName = "dns-suspicious-name"
    /// Fleet mode lost its link to Redis: convictions and fleet budgets are no longer shared until it
    /// returns. Last in the list with the next, so the other kinds keep their EVE signature ids.
    case fleetSyncLost = "fleet-sync-lost"
    /// Fleet mode's link to Redis is back.
    case fleetSyncReturned = "fleet-sync-returned"

    /// Which decisions raise which alert: every decision the DNS log marks `"alert":true` does
    /// (a tunnel verdict, a quarantine, a suspicious name), so the log and the sinks agree.
    /// Suspicious names are Low: one name is not yet a tunnel, but it is a payload leaving.
    public init?(for decision: DecisionEvent) {
        switch decision.verdict?.kind {
        case .tunnel?:
            self = .tunnel
            return
        case .suspiciousName? where decision.reason == .detection:
            self = .suspiciousName
            return
        default:
            break
        }
        switch decision.reason {
        case .detection, .routine: return nil
        case .quarantine: self = .quarantine
        case .budgetExhausted: self = .budgetExhausted
        case .resolverBypass: self = .resolverBypass
        case .sniMismatch: self = .sniMismatch
        case .metadataAccess: self = .metadataAccess
        case .policyDenial:
            guard decision.action != .allow else { return nil }
            self = .policyDenial
        case .fleetSyncLost: self = .fleetSyncLost
        case .fleetSyncReturned: self = .fleetSyncReturned
        }
    }

    /// OCSF severity_id: 2 Low, 3 Medium, 4 High.
    public var severityID: Int {
        switch self {
        case .tunnel, .metadataAccess: return 4
        case .quarantine, .budgetExhausted, .resolverBypass, .sniMismatch, .fleetSyncLost: return 3
        case .policyDenial, .suspiciousName, .fleetSyncReturned: return 2
        }
    }

    public var severityName: String { [2: "Low", 3: "Medium", 4: "High"][severityID] ?? "Unknown" }

    /// A short title for finding_info.title and the syslog message.
    public var title: String {
        switch self {
        case .tunnel: return "DNS tunnel"
        case .quarantine: return "Quarantined domain contacted"
        case .budgetExhausted: return "Egress byte budget exhausted"
        case .resolverBypass: return "Resolver bypass"
        case .sniMismatch: return "TLS SNI mismatch"
        case .metadataAccess: return "Cloud metadata access"
        case .policyDenial: return "Policy denied cross-boundary access"
        case .suspiciousName: return "Suspicious DNS name"
        case .fleetSyncLost: return "Fleet sync lost"
        case .fleetSyncReturned: return "Fleet sync back"
        }
    }

    public static func < (lhs: AlertKind, rhs: AlertKind) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// Whether an alert opens a run of repeated decisions or sums up the repeats of one window.
public enum AlertPhase: String, Sendable, Equatable {
    /// The first occurrence for its (sandbox, domain, kind): sent at once.
    case first
    /// The occurrences after the first within one window, folded into a count.
    case rollup
}

/// One alert record as the sinks deliver it: a decision, how many like it were folded in, and a
/// stable id receivers use to drop duplicates (delivery is at least once).
public struct Alert: Sendable, Equatable {
    /// UUID (RFC 9562 version 8) derived from the alert's content and sequence: the same traffic
    /// gives the same ids live and in replay, and a re-sent alert carries the id it was spooled with.
    public var id: String
    public var kind: AlertKind
    public var phase: AlertPhase
    /// The decision that opened the run (first) or the latest one folded in (rollup).
    public var decision: DecisionEvent
    /// Decisions this record stands for: 1 for a first alert, the repeats in the window for a rollup.
    public var count: Int
    /// Earliest and latest decision times this record covers.
    public var firstTime: Timestamp
    public var lastTime: Timestamp
    /// The aggregation window the record belongs to.
    public var windowStart: Timestamp
    public var windowEnd: Timestamp
    /// Position in the run of alerts for this key (0 for the first alert).
    public var sequence: Int

    public init(
        id: String, kind: AlertKind, phase: AlertPhase, decision: DecisionEvent, count: Int, firstTime: Timestamp,
        lastTime: Timestamp, windowStart: Timestamp, windowEnd: Timestamp, sequence: Int
    ) {
        self.id = id
        self.kind = kind
        self.phase = phase
        self.decision = decision
        self.count = count
        self.firstTime = firstTime
        self.lastTime = lastTime
        self.windowStart = windowStart
        self.windowEnd = windowEnd
        self.sequence = sequence
    }

    /// The record's time: when the run began (first) or when the window closed (rollup).
    public var time: Timestamp { phase == .first ? firstTime : windowEnd }

    /// One line for humans and for the syslog MSG part.
    public var summary: String {
        let who =
            decision.source == .fleet
            ? "this instance" : decision.sandbox.map { "sandbox \($0)" } ?? "client \(decision.client.address)"
        switch phase {
        case .first:
            return "\(kind.title) on \(decision.domain) from \(who) (\(decision.action.rawValue)): \(decision.message)"
        case .rollup:
            return "\(kind.title) on \(decision.domain) from \(who): \(count) more in the window"
                + " (last \(decision.action.rawValue)): \(decision.message)"
        }
    }
}

extension DecisionEvent {
    /// The alert kind this decision raises, or nil when it is routine (most decisions).
    public var alertKind: AlertKind? { AlertKind(for: self) }
}
