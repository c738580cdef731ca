import AirlockEvents
import AirlockPolicy

/// What the enforcer shares with a fleet and takes from it, as values: the fleet layer
/// (`AirlockFleet`) moves them to and from Redis, the enforcer never sees a socket.
///
/// The arrow runs one way: the DNS proxy's shared inspection implements ``FleetPeer``; the fleet
/// layer holds it as that protocol, and `airlock serve` (the composition root) joins the two.
public protocol FleetPeer: AnyObject, Sendable {
    /// Local convictions made and bytes of name information charged since the last call. Their
    /// bytes stay counted (in flight) until ``install(_:)`` brings the totals that include them.
    func takeOutgoing() -> FleetOutgoing
    /// The fleet's answer to the last batch: other instances' convictions and the fleet totals of
    /// the keys the batch counted.
    func install(_ incoming: FleetIncoming)
    /// A batch that did not reach Redis: its convictions and bytes go out with the next one.
    func restore(_ outgoing: FleetOutgoing)
    /// This instance's convictions still in quarantine at `now`: republished after a reconnect when
    /// Redis no longer holds them.
    func localConvictions(now: Timestamp) -> [Conviction]
    /// Counts for metrics and status lines.
    func fleetLedgerStatus() -> FleetLedgerStatus
}

/// The fleet settings the enforcer works with, from the policy's `fleet:` section.
public struct FleetTerms: Sendable, Equatable {
    /// This instance's name: convictions it publishes carry it, and it skips its own when reading.
    public var instance: String
    public var shareConvictions: Bool
    /// The fleet-wide leak budget; nil when budgets are not shared.
    public var leakBudget: Budget?
    /// One budget per sandbox name and domain (`per: sandbox`) instead of per domain.
    public var perSandbox: Bool
    /// Budget keys counted fleet-wide at a time; names to further domains count locally only.
    public var maxBudgetKeys: Int
    /// Convictions remembered (own and others'), and waiting to be published.
    public var maxConvictions: Int

    public init(
        instance: String, shareConvictions: Bool = true, leakBudget: Budget? = nil, perSandbox: Bool = false,
        maxBudgetKeys: Int = FleetPolicy.defaultMaxBudgetKeys, maxConvictions: Int = FleetPolicy.defaultMaxConvictions
    ) {
        self.instance = instance
        self.shareConvictions = shareConvictions
        self.leakBudget = leakBudget
        self.perSandbox = perSandbox
        self.maxBudgetKeys = max(maxBudgetKeys, 1)
        self.maxConvictions = max(maxConvictions, 1)
    }

    public init(_ policy: FleetPolicy, instance: String) {
        self.init(
            instance: instance, shareConvictions: policy.shareConvictions,
            leakBudget: policy.shareLeakBudget ? policy.leakBudget : nil, perSandbox: policy.budgetScope == .sandbox,
            maxBudgetKeys: policy.maxBudgetKeys, maxConvictions: policy.maxConvictions)
    }
}

/// What one fleet leak budget counts: a registered domain, or a sandbox name's traffic to it.
public struct FleetBudgetKey: Hashable, Sendable {
    /// The sandbox name with `per: sandbox`; nil for the whole fleet's traffic to the domain.
    public var sandbox: String?
    public var domain: DomainKey

    public init(sandbox: String?, domain: DomainKey) {
        self.sandbox = sandbox
        self.domain = domain
    }
}

/// Fixed windows aligned to the Unix epoch, so every instance counts into the same buckets; the
/// sliding total weighs the previous window by how much of it still overlaps (``SlidingWindow``'s rule).
public enum FleetWindow {
    /// The window holding `time`.
    public static func index(_ time: Timestamp, seconds: Int) -> Int64 {
        let length = Int64(max(seconds, 1)) * 1_000_000_000
        let t = time.nanoseconds
        return t >= 0 ? t / length : (t - length + 1) / length
    }

    /// The share of the previous window the sliding window still covers at `time` (1 at a window's
    /// start, 0 at its end).
    public static func overlap(_ time: Timestamp, seconds: Int) -> Double {
        let length = Int64(max(seconds, 1)) * 1_000_000_000
        let into = time.nanoseconds - index(time, seconds: seconds) * length
        return 1 - Double(into) / Double(length)
    }
}

/// A key's fleet-wide total as Redis last reported it: the window it was read in and both buckets.
public struct FleetFigure: Sendable, Equatable {
    public var window: Int64
    public var previous: Double
    public var current: Double

    public init(window: Int64, previous: Double, current: Double) {
        self.window = window
        self.previous = previous
        self.current = current
    }

    /// The sliding total at a time in window `window` with `overlap` of the previous one left: a
    /// figure from the window before counts as that window's bucket; older figures count nothing.
    public func total(window now: Int64, overlap: Double) -> Double {
        if now == window { return previous * overlap + current }
        if now == window + 1 { return current * overlap }
        return 0
    }
}

/// Bytes of name information one instance charged to one key within one window.
public struct FleetCount: Sendable, Equatable {
    public var key: FleetBudgetKey
    public var window: Int64
    public var bytes: Double

    public init(key: FleetBudgetKey, window: Int64, bytes: Double) {
        self.key = key
        self.window = window
        self.bytes = bytes
    }
}

/// One batch for the fleet.
public struct FleetOutgoing: Sendable {
    public var convictions: [Conviction]
    public var counts: [FleetCount]

    public init(convictions: [Conviction] = [], counts: [FleetCount] = []) {
        self.convictions = convictions
        self.counts = counts
    }

    public var isEmpty: Bool { convictions.isEmpty && counts.isEmpty }
}

/// The fleet's news for this instance.
public struct FleetIncoming: Sendable {
    /// Other instances' convictions (own ones are skipped by the enforcer too).
    public var convictions: [Conviction]
    /// Fleet totals of the keys the last batch counted.
    public var figures: [(key: FleetBudgetKey, figure: FleetFigure)]
    /// When the answer arrived (wall clock): old figures are swept by it.
    public var time: Timestamp

    public init(
        convictions: [Conviction] = [], figures: [(key: FleetBudgetKey, figure: FleetFigure)] = [], time: Timestamp
    ) {
        self.convictions = convictions
        self.figures = figures
        self.time = time
    }
}

/// The enforcer's fleet state in numbers.
public struct FleetLedgerStatus: Sendable, Equatable {
    /// Budget keys counted fleet-wide now.
    public var trackedKeys = 0
    /// Charges to keys beyond ``FleetTerms/maxBudgetKeys`` (counted locally only).
    public var refusedKeys = 0
    /// Convictions dropped because the outbox was full (Redis away a long time).
    public var droppedConvictions = 0
    /// Other instances' convictions adopted.
    public var adoptedConvictions = 0
    /// Local convictions waiting to be published.
    public var unsentConvictions = 0

    public init() {}
}
