import AirlockEvents

/// The enforcer's side of fleet mode: the last known fleet totals per budget key, the bytes charged
/// here since they were read, and convictions on their way out or in. Pure (no clock, no I/O):
/// the query path reads and adds to it under the inspection lock; the fleet layer swaps batches in
/// and out a few times a second (``FleetPeer``).
///
/// The query path never waits on the fleet: a key's fleet figure is what Redis said after the last
/// batch, plus what this instance charged since (sent or not). Other instances' bytes therefore show
/// up one batch late: the lag the documentation states.
struct FleetLedger: Sendable {
    struct Entry: Sendable {
        /// The fleet total Redis last reported (nil until the first batch with this key came back).
        var figure: FleetFigure?
        /// Bytes charged here and not yet taken for a batch, all in window ``pendingWindow``.
        var pending = 0.0
        var pendingWindow: Int64
        /// Bytes taken for the batch now on its way (not yet in ``figure``).
        var inFlight = 0.0
    }

    let terms: FleetTerms
    private var entries: [FleetBudgetKey: Entry] = [:]
    /// Keys with pending bytes, so taking a batch does not walk every entry.
    private var dirty: [FleetBudgetKey] = []
    /// Bytes of a window that ended before they were taken (a window boundary between batches).
    private var late: [FleetCount] = []
    /// This instance's convictions not yet taken for a batch, oldest first.
    private var unsent: [Conviction] = []
    /// This instance's convictions, for republishing after a reconnect (two generations: bounded).
    private var local = Generations<DomainKey, Conviction>()
    /// Other instances' convictions adopted, by domain: who convicted it, for records and alerts.
    private var remote = Generations<DomainKey, Conviction>()
    private var sweptWindow: Int64 = .min
    private(set) var status = FleetLedgerStatus()

    init(terms: FleetTerms) {
        self.terms = terms
    }

    // MARK: The query path

    /// The budget key a charge to `domain` from `sandbox` counts under; nil when budgets are not shared.
    func budgetKey(sandbox: String?, domain: DomainKey) -> FleetBudgetKey? {
        terms.leakBudget == nil ? nil : FleetBudgetKey(sandbox: terms.perSandbox ? sandbox : nil, domain: domain)
    }

    /// The fleet's bytes for `key` at `time` as far as this instance knows: the last total Redis
    /// reported plus what was charged here since.
    func used(_ key: FleetBudgetKey, at time: Timestamp, windowSeconds: Int) -> Double {
        guard let entry = entries[key] else { return 0 }
        var total = entry.pending + entry.inFlight
        if let figure = entry.figure {
            total += figure.total(
                window: FleetWindow.index(time, seconds: windowSeconds),
                overlap: FleetWindow.overlap(time, seconds: windowSeconds))
        }
        return total
    }

    /// Adds a forwarded name's bytes; a key beyond ``FleetTerms/maxBudgetKeys`` is counted locally only.
    mutating func charge(_ key: FleetBudgetKey, bytes: Double, at time: Timestamp, windowSeconds: Int) {
        guard bytes > 0 else { return }
        let window = FleetWindow.index(time, seconds: windowSeconds)
        if let index = entries.index(forKey: key) {
            let entry = entries.values[index]
            if entry.pending > 0 && entry.pendingWindow != window {
                if late.count < terms.maxBudgetKeys {
                    late.append(FleetCount(key: key, window: entry.pendingWindow, bytes: entry.pending))
                }
                entries.values[index].pending = 0
            }
            if entries.values[index].pending == 0 { markDirty(key) }
            entries.values[index].pendingWindow = window
            entries.values[index].pending += bytes
            return
        }
        guard entries.count < terms.maxBudgetKeys else {
            status.refusedKeys += 1
            return
        }
        entries[key] = Entry(pending: bytes, pendingWindow: window)
        markDirty(key)
    }

    /// Notes a key with pending bytes. While Redis is away nothing takes batches, and a key whose
    /// window rolls is noted again: past twice the key cap the list is rebuilt from the table.
    private mutating func markDirty(_ key: FleetBudgetKey) {
        if dirty.count >= 2 * terms.maxBudgetKeys {
            dirty = entries.compactMap { $0.value.pending > 0 ? $0.key : nil }
        }
        dirty.append(key)
    }

    /// A quarantine this instance started: published with the next batch.
    mutating func convicted(_ conviction: Conviction) {
        guard terms.shareConvictions else { return }
        var conviction = conviction
        conviction.instance = terms.instance
        local.set(conviction.domain, conviction, capacity: terms.maxConvictions)
        remote.remove(conviction.domain)
        if unsent.count >= terms.maxConvictions {
            unsent.removeFirst()
            status.droppedConvictions += 1
        }
        unsent.append(conviction)
    }

    /// The remote conviction behind `domain`'s quarantine, when another instance's is the one in force.
    func remoteConviction(of domain: DomainKey) -> Conviction? { remote.isEmpty ? nil : remote[domain] }

    // MARK: The fleet layer

    mutating func takeOutgoing() -> FleetOutgoing {
        var out = FleetOutgoing(convictions: unsent, counts: late)
        unsent.removeAll(keepingCapacity: true)
        late.removeAll(keepingCapacity: true)
        for key in dirty {
            guard let index = entries.index(forKey: key) else { continue }
            let entry = entries.values[index]
            guard entry.pending > 0 else { continue }
            out.counts.append(FleetCount(key: key, window: entry.pendingWindow, bytes: entry.pending))
            entries.values[index].inFlight += entry.pending
            entries.values[index].pending = 0
        }
        dirty.removeAll(keepingCapacity: true)
        return out
    }

    /// Adopts other instances' convictions into `quarantine` and installs the fleet totals.
    mutating func install(_ incoming: FleetIncoming, into quarantine: inout QuarantineTable) {
        for conviction in incoming.convictions where conviction.instance != terms.instance {
            guard terms.shareConvictions, let instance = conviction.instance, !instance.isEmpty else { continue }
            var adopted = false
            for domain in [conviction.domain] + conviction.members where quarantine.adopt(domain, at: conviction.since) {
                remote.set(domain, conviction, capacity: terms.maxConvictions)
                local.remove(domain)
                adopted = true
            }
            if adopted { status.adoptedConvictions += 1 }
        }
        for (key, figure) in incoming.figures {
            guard let index = entries.index(forKey: key) else { continue }
            entries.values[index].figure = figure
            entries.values[index].inFlight = 0
        }
        if let budget = terms.leakBudget { sweep(at: incoming.time, windowSeconds: budget.windowSeconds) }
    }

    /// Puts back a batch that did not reach Redis.
    mutating func restore(_ outgoing: FleetOutgoing) {
        let room = max(terms.maxConvictions - unsent.count, 0)
        status.droppedConvictions += max(outgoing.convictions.count - room, 0)
        unsent.insert(contentsOf: outgoing.convictions.suffix(room), at: 0)
        for count in outgoing.counts {
            guard let index = entries.index(forKey: count.key) else { continue }
            let entry = entries.values[index]
            entries.values[index].inFlight = max(entry.inFlight - count.bytes, 0)
            if entry.pendingWindow == count.window || entry.pending == 0 {
                if entry.pending == 0 { markDirty(count.key) }
                entries.values[index].pendingWindow = count.window
                entries.values[index].pending += count.bytes
            } else if late.count < terms.maxBudgetKeys {
                late.append(count)
            }
        }
    }

    /// Own convictions still in quarantine at `now`.
    func localConvictions(now: Timestamp) -> [Conviction] {
        local.values.filter { $0.expires > now }.sorted { $0.since < $1.since }
    }

    var currentStatus: FleetLedgerStatus {
        var s = status
        s.trackedKeys = entries.count
        s.unsentConvictions = unsent.count
        return s
    }

    /// Once per window: drops keys whose figures are two windows old and that hold no bytes, so the
    /// table holds the domains of the last two windows only.
    private mutating func sweep(at time: Timestamp, windowSeconds: Int) {
        let window = FleetWindow.index(time, seconds: windowSeconds)
        guard window != sweptWindow else { return }
        sweptWindow = window
        entries = entries.filter { _, entry in
            entry.pending > 0 || entry.inFlight > 0 || (entry.figure.map { $0.window >= window - 1 } ?? false)
        }
    }
}

/// A map kept in two generations: when the current one is full it becomes the previous one (and
/// the old previous one is dropped), so the oldest entries go first and memory stays bounded.
struct Generations<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private var current: [Key: Value] = [:]
    private var previous: [Key: Value] = [:]

    var isEmpty: Bool { current.isEmpty && previous.isEmpty }
    var count: Int { current.count + previous.count }
    var values: [Value] { Array(current.values) + Array(previous.values) }

    subscript(key: Key) -> Value? { current[key] ?? previous[key] }

    mutating func set(_ key: Key, _ value: Value, capacity: Int) {
        previous[key] = nil
        if current[key] == nil && current.count >= max(capacity / 2, 1) {
            previous = current
            current = [:]
        }
        current[key] = value
    }

    mutating func remove(_ key: Key) {
        current[key] = nil
        previous[key] = nil
    }
}
