import AirlockEnforcement
import AirlockEvents

/// Folds repeated alerts per (sandbox, domain, kind) per window, so a tunnel raises one alert and a
/// roll-up per window of activity, not one per query.
///
/// Time comes from the decisions (and from ``advance(to:)`` for a live clock), never from a wall
/// clock read here: replaying a capture gives the same records, in the same order, as the live run.
///
/// A run opens with a `first` alert, sent at once. Repeats within the window are counted; when the
/// window ends with repeats, one `rollup` carries their count and the run continues into the next
/// window; a window that ends with no repeats closes the run, and the next occurrence opens a new run
/// with a new `first` alert.
public struct AlertAggregator: Sendable {
    public struct Key: Hashable, Sendable {
        public var sandbox: String?
        public var domain: String
        public var kind: AlertKind
    }

    struct Run: Sendable {
        var chainStart: Timestamp
        var windowStart: Timestamp
        var windowEnd: Timestamp
        var repeats = 0
        var firstRepeat: Timestamp?
        var latest: DecisionEvent
        var sequence = 0
    }

    public let windowNanoseconds: Int64
    /// Most runs held open; beyond it the run closing soonest is rolled up early (memory bound).
    public let maxOpenRuns: Int
    private var runs: [Key: Run] = [:]
    /// Earliest window end among open runs: the one comparison made per decision when nothing is due.
    private var nextDue: Int64 = .max
    var nextDueValue: Int64 { nextDue }

    public init(windowSeconds: Double = 60, maxOpenRuns: Int = 100_000) {
        self.windowNanoseconds = max(1, Int64(windowSeconds * 1e9))
        self.maxOpenRuns = max(1, maxOpenRuns)
    }

    public var openRuns: Int { runs.count }
    /// Whether the last ``add(_:)`` folded its decision into an open run (counted, not sent).
    public private(set) var lastFolded = false

    /// Adds one decision: returns the roll-ups of windows that ended before it, then its own first
    /// alert if it opens a run. Routine decisions only advance time.
    public mutating func add(_ decision: DecisionEvent) -> [Alert] {
        var out = advance(to: decision.time)
        lastFolded = false
        guard let kind = decision.alertKind else { return out }
        let key = Key(sandbox: decision.sandbox?.name, domain: decision.domain, kind: kind)
        if let index = runs.index(forKey: key) {
            // In place: a tunnel folds thousands of decisions per window into one run.
            runs.values[index].repeats += 1
            if runs.values[index].firstRepeat == nil { runs.values[index].firstRepeat = decision.time }
            runs.values[index].latest = decision
            lastFolded = true
            return out
        }
        if runs.count >= maxOpenRuns, let victim = runs.min(by: { $0.value.windowEnd < $1.value.windowEnd })?.key {
            if let alert = close(victim, at: runs[victim]!.windowEnd, final: true) { out.append(alert) }
        }
        let start = decision.time
        let run = Run(
            chainStart: start, windowStart: start, windowEnd: Timestamp(nanoseconds: start.nanoseconds + windowNanoseconds),
            latest: decision)
        runs[key] = run
        nextDue = min(nextDue, run.windowEnd.nanoseconds)
        out.append(
            Alert(
                id: Self.id(key, run, phase: .first), kind: kind, phase: .first, decision: decision, count: 1,
                firstTime: start, lastTime: start, windowStart: start, windowEnd: run.windowEnd, sequence: 0))
        return out
    }

    /// Closes every window that ended at or before `time`, oldest first.
    public mutating func advance(to time: Timestamp) -> [Alert] {
        guard time.nanoseconds >= nextDue else { return [] }
        var out: [Alert] = []
        while true {
            let due = runs.filter { $0.value.windowEnd <= time }
            if due.isEmpty { break }
            for key in due.sorted(by: { Self.order($0, $1) }).map(\.key) {
                if let alert = close(key, at: runs[key]!.windowEnd, final: false) { out.append(alert) }
            }
        }
        nextDue = runs.values.map(\.windowEnd.nanoseconds).min() ?? .max
        return out
    }

    /// End of stream (replay done, graceful shutdown): rolls up every open window's repeats.
    public mutating func flush() -> [Alert] {
        var out: [Alert] = []
        for key in runs.sorted(by: { Self.order($0, $1) }).map(\.key) {
            if let alert = close(key, at: runs[key]!.windowEnd, final: true) { out.append(alert) }
        }
        runs = [:]
        nextDue = .max
        return out
    }

    /// Ends `key`'s current window: a roll-up when it had repeats; the run continues unless `final`
    /// or the window was quiet.
    private mutating func close(_ key: Key, at end: Timestamp, final: Bool) -> Alert? {
        guard var run = runs[key] else { return nil }
        var alert: Alert?
        if run.repeats > 0 {
            run.sequence += 1
            alert = Alert(
                id: Self.id(key, run, phase: .rollup), kind: key.kind, phase: .rollup, decision: run.latest,
                count: run.repeats, firstTime: run.firstRepeat ?? run.windowStart, lastTime: run.latest.time,
                windowStart: run.windowStart, windowEnd: run.windowEnd, sequence: run.sequence)
        }
        if final || run.repeats == 0 {
            runs[key] = nil
        } else {
            run.windowStart = run.windowEnd
            run.windowEnd = Timestamp(nanoseconds: run.windowEnd.nanoseconds + windowNanoseconds)
            run.repeats = 0
            run.firstRepeat = nil
            runs[key] = run
        }
        return alert
    }

    private static func order(_ a: (key: Key, value: Run), _ b: (key: Key, value: Run)) -> Bool {
        if a.value.windowEnd != b.value.windowEnd { return a.value.windowEnd < b.value.windowEnd }
        if a.key.kind != b.key.kind { return a.key.kind < b.key.kind }
        if a.key.domain != b.key.domain { return a.key.domain < b.key.domain }
        return (a.key.sandbox ?? "") < (b.key.sandbox ?? "")
    }

    private static func id(_ key: Key, _ run: Run, phase: AlertPhase) -> String {
        AlertID.make(parts: [
            key.kind.rawValue, key.sandbox ?? "-", key.domain, String(run.chainStart.nanoseconds), phase.rawValue,
            String(run.sequence),
        ])
    }
}
