import AirlockEnforcement
import AirlockEvents

/// Fleet synchronisation as a state machine, without sockets (swift-nio style): times, batches and
/// reply bytes in, ``Action``s out. ``FleetClient`` performs the actions on a real connection;
/// tests drive it with byte arrays and made-up times.
///
/// One connection, request and response only (no pub/sub), every command pipelined:
///
/// 1. **Handshake** after connecting: `AUTH` (when a password is set), `CLIENT SETNAME`, then
///    `XREVRANGE PREFIX:convictions + - COUNT max` loads the convictions Redis holds (a starting
///    instance gets every quarantine in force); this instance's own convictions still in quarantine
///    that the stream no longer holds (Redis restarted, or they were made while it was away) are
///    published again. Then sync is **up** (an alert when it had been lost).
/// 2. **Rounds**, one per sync interval: the local convictions since the last round (`XADD … MAXLEN
///    ~ max`, then `PEXPIRE`), the bytes charged per budget key (`SET key 0 NX PX ttl` the first time
///    in a window, `GET` of the previous window's counter once per window, `INCRBY`), then `XREAD`
///    of convictions newer than the last one seen. The answers become one ``FleetIncoming``.
/// 3. **Failure** (refused connection, closed socket, an error reply, no answer within the timeout):
///    the round's batch is handed back to the enforcer (``Action/restore(_:)``), sync is **lost**
///    (one alert), and connecting is retried with exponential backoff (100 ms doubling to 5 s, ±25 %
///    jitter). The DNS path goes on with local state throughout.
public struct FleetSync: Sendable {
    public struct Settings: Sendable {
        public var instance: String
        public var keys: FleetKeys
        public var username: String?
        public var password: String?
        public var intervalNanoseconds: Int64
        /// How long a handshake or round may wait for its answers before the connection is given up.
        public var timeoutNanoseconds: Int64 = 2_000_000_000
        public var backoffInitialNanoseconds: Int64 = 100_000_000
        public var backoffMaximumNanoseconds: Int64 = 5_000_000_000
        /// Stream length kept in Redis (`MAXLEN ~`), and convictions loaded at a handshake.
        public var maxConvictions: Int
        /// Entries read per round (the rest follow in the next rounds).
        public var readBatch = 1024
        /// The fleet budget's window; nil when budgets are not shared.
        public var budgetWindowSeconds: Int?
        public var shareConvictions: Bool

        public init(
            instance: String, keyPrefix: String, username: String? = nil, password: String? = nil,
            intervalMilliseconds: Int, maxConvictions: Int, budgetWindowSeconds: Int?, shareConvictions: Bool
        ) {
            self.instance = instance
            self.keys = FleetKeys(prefix: keyPrefix)
            self.username = username
            self.password = password
            self.intervalNanoseconds = Int64(max(intervalMilliseconds, 1)) * 1_000_000
            self.maxConvictions = maxConvictions
            self.budgetWindowSeconds = budgetWindowSeconds
            self.shareConvictions = shareConvictions
        }
    }

    /// What the driver should do next.
    public enum Step: Equatable, Sendable {
        /// Open a connection, then call ``connected(at:local:)`` or ``failed(_:at:)``.
        case connect
        /// Take a batch from the enforcer and call ``startRound(_:at:)``.
        case round
        /// Read replies (when ``awaitingReplies``) or sleep until the monotonic time given.
        case wait(until: Int64)
        /// The answers did not come in time: call ``failed(_:at:)``.
        case timedOut
    }

    public enum Action: Sendable {
        /// Write these bytes to the connection.
        case send([UInt8])
        /// Hand the fleet's news to the enforcer (``FleetPeer/install(_:)``).
        case install(FleetIncoming)
        /// Hand a batch that did not reach Redis back to the enforcer (``FleetPeer/restore(_:)``).
        case restore(FleetOutgoing)
        /// Close the connection.
        case disconnect
        /// Sync was lost (or could not be set up at start): alert once.
        case lost(reason: String)
        /// Sync is back after `seconds` without it: alert once.
        case returned(seconds: Double)
    }

    /// What one reply answers.
    enum Expect: Sendable {
        case auth, setName, load, publish, expire, create, read
        case previous(FleetBudgetKey)
        case increment(FleetBudgetKey)
        /// An INCRBY for a window that has ended (no figure comes of it).
        case lateIncrement
    }

    enum Phase: Sendable {
        case disconnected(retryAt: Int64)
        case connecting
        case handshaking(deadline: Int64)
        case ready(nextRound: Int64)
        case inRound(deadline: Int64)
    }

    public let settings: Settings
    private var phase: Phase = .disconnected(retryAt: 0)
    private var decoder = RESPDecoder()
    private var expecting: [Expect] = []
    private var expectingNext = 0
    /// The batch on its way, handed back if the round fails.
    private var roundOutgoing = FleetOutgoing()
    private var roundWindow: Int64 = 0
    private var incoming: FleetIncoming = FleetIncoming(time: Timestamp(nanoseconds: 0))
    private var increments: [FleetBudgetKey: Double] = [:]
    /// Convictions to republish once the handshake's load shows which ones Redis lacks.
    private var republish: [Conviction] = []
    /// The id of the newest stream entry seen (`0-0`: none).
    private var lastID = "0-0"
    /// Budget counters created (SET NX PX) in ``cacheWindow``, and previous-window totals read in it.
    private var created: Set<FleetBudgetKey> = []
    private var previousTotals: [FleetBudgetKey: Double] = [:]
    private var cacheWindow: Int64 = .min
    /// Longest quarantine published: how long the stream is kept after the last entry.
    private var streamSeconds = 600
    private var failures = 0
    private var random: UInt64
    /// Whether sync is up, and whether a loss has been announced (and not yet its return).
    private var synced = false
    private var lostAnnounced = false
    private var lostAt: Int64 = 0
    public private(set) var status = FleetSyncStatus()

    public init(settings: Settings, seed: UInt64) {
        self.settings = settings
        self.random = seed | 1
    }

    /// Replies still owed by Redis for what was sent.
    public var awaitingReplies: Bool { expectingNext < expecting.count }

    // MARK: Driving

    /// What to do at monotonic time `now`.
    public mutating func next(at now: Int64) -> Step {
        switch phase {
        case .disconnected(let retryAt):
            if now >= retryAt {
                phase = .connecting
                return .connect
            }
            return .wait(until: retryAt)
        case .connecting:
            return .connect
        case .handshaking(let deadline), .inRound(let deadline):
            return now >= deadline ? .timedOut : .wait(until: deadline)
        case .ready(let nextRound):
            return now >= nextRound ? .round : .wait(until: nextRound)
        }
    }

    /// The connection is open: the handshake's commands. `local` are this instance's convictions
    /// still in quarantine (``FleetPeer/localConvictions(now:)``).
    public mutating func connected(at time: ProxyTime, local: [Conviction]) -> [Action] {
        decoder = RESPDecoder()
        expecting = []
        expectingNext = 0
        var out: [UInt8] = []
        if let password = settings.password {
            command(settings.username.map { ["AUTH", $0, password] } ?? ["AUTH", password], .auth, into: &out)
        }
        command(["CLIENT", "SETNAME", "airlock-" + settings.instance], .setName, into: &out)
        if settings.shareConvictions {
            command(
                ["XREVRANGE", settings.keys.convictions, "+", "-", "COUNT", String(settings.maxConvictions)], .load,
                into: &out)
        }
        republish = settings.shareConvictions ? local : []
        incoming = FleetIncoming(time: time.wall)
        phase = .handshaking(deadline: time.monotonic + settings.timeoutNanoseconds)
        return [.send(out)]
    }

    /// A round's commands for `outgoing` (the enforcer's batch).
    public mutating func startRound(_ outgoing: FleetOutgoing, at time: ProxyTime) -> [Action] {
        expecting = []
        expectingNext = 0
        roundOutgoing = outgoing
        incoming = FleetIncoming(time: time.wall)
        increments = [:]
        var out: [UInt8] = []
        publish(outgoing.convictions, into: &out)
        if let windowSeconds = settings.budgetWindowSeconds {
            let window = FleetWindow.index(time.wall, seconds: windowSeconds)
            roundWindow = window
            if window != cacheWindow {
                cacheWindow = window
                created = []
                previousTotals = [:]
            }
            let ttl = String((2 * windowSeconds + 60) * 1000)
            for count in outgoing.counts {
                let key = settings.keys.budget(count.key, window: count.window, windowSeconds: windowSeconds)
                let bytes = String(Int64(count.bytes.rounded(.up)))
                guard count.window == window else {
                    // Bytes of a window that has ended: counted there (its counter exists already,
                    // or is created with its expiry), no figure comes back.
                    command(["SET", key, "0", "NX", "PX", ttl], .create, into: &out)
                    command(["INCRBY", key, bytes], .lateIncrement, into: &out)
                    continue
                }
                if created.insert(count.key).inserted {
                    command(["SET", key, "0", "NX", "PX", ttl], .create, into: &out)
                }
                if previousTotals[count.key] == nil {
                    let previous = settings.keys.budget(count.key, window: window - 1, windowSeconds: windowSeconds)
                    command(["GET", previous], .previous(count.key), into: &out)
                }
                command(["INCRBY", key, bytes], .increment(count.key), into: &out)
            }
        }
        if settings.shareConvictions {
            command(
                ["XREAD", "COUNT", String(settings.readBatch), "STREAMS", settings.keys.convictions, lastID], .read,
                into: &out)
        }
        phase = .inRound(deadline: time.monotonic + settings.timeoutNanoseconds)
        status.rounds += 1
        if out.isEmpty { return finishRound(at: time) }
        return [.send(out)]
    }

    /// Bytes read from the connection: the actions the completed replies call for.
    public mutating func received(_ bytes: [UInt8], at time: ProxyTime) -> [Action] {
        decoder.feed(bytes)
        var actions: [Action] = []
        while awaitingReplies {
            let value: RESPValue
            do {
                guard let next = try decoder.next() else { break }
                value = next
            } catch {
                return actions + failed("Redis sent bytes that are not RESP2 (\(error))", at: time)
            }
            let expect = expecting[expectingNext]
            expectingNext += 1
            if case .error(let message) = value, !Self.tolerates(expect) {
                return actions + failed("Redis refused \(Self.name(expect)): \(message)", at: time)
            }
            actions += handle(value, expect, at: time)
            if case .disconnected = phase { return actions }
        }
        if !awaitingReplies {
            switch phase {
            case .handshaking: actions += finishHandshake(at: time)
            case .inRound: actions += finishRound(at: time)
            default: break
            }
        }
        return actions
    }

    /// The connection failed, closed, or timed out (`reason` says which): hand the batch back, give
    /// the connection up, and retry after backoff.
    public mutating func failed(_ reason: String, at time: ProxyTime) -> [Action] {
        var actions: [Action] = []
        if case .connecting = phase {} else { actions.append(.disconnect) }
        if case .inRound = phase, !roundOutgoing.isEmpty {
            actions.append(.restore(roundOutgoing))
        }
        roundOutgoing = FleetOutgoing()
        expecting = []
        expectingNext = 0
        failures += 1
        status.failures += 1
        status.lastError = reason
        if synced || !lostAnnounced {
            if !lostAnnounced { lostAt = time.monotonic }
            lostAnnounced = true
            actions.append(.lost(reason: reason))
        }
        synced = false
        status.connected = false
        let exponent = min(failures - 1, 20)
        let base = min(
            settings.backoffInitialNanoseconds << Int64(exponent), settings.backoffMaximumNanoseconds)
        phase = .disconnected(retryAt: time.monotonic + Int64(Double(base) * (0.75 + 0.5 * nextRandom())))
        return actions
    }

    // MARK: Replies

    private mutating func handle(_ value: RESPValue, _ expect: Expect, at time: ProxyTime) -> [Action] {
        switch expect {
        case .auth, .setName, .create, .expire, .lateIncrement:
            return []
        case .publish:
            status.convictionsPublished += 1
            return []
        case .load:
            // Newest first: the first entry's id is where reading goes on from.
            let entries = value.elements ?? []
            lastID = entries.first.flatMap { $0.elements?.first?.text } ?? "0-0"
            var present = Set<String>()
            for entry in entries.reversed() {
                guard let conviction = conviction(entry) else { continue }
                if conviction.instance == settings.instance {
                    present.insert(Self.identity(conviction))
                } else {
                    incoming.convictions.append(conviction)
                    status.convictionsReceived += 1
                }
            }
            let missing = republish.filter { !present.contains(Self.identity($0)) }
            republish = []
            if !missing.isEmpty {
                var out: [UInt8] = []
                publish(missing, into: &out)
                status.convictionsRepublished += missing.count
                return [.send(out)]
            }
            return []
        case .previous(let key):
            previousTotals[key] = value.number.map(Double.init) ?? 0
            return []
        case .increment(let key):
            increments[key] = value.number.map(Double.init) ?? 0
            return []
        case .read:
            // [[stream, [[id, fields], ...]]] or the null array when nothing is new.
            for stream in value.elements ?? [] {
                guard let parts = stream.elements, parts.count == 2 else { continue }
                for entry in parts[1].elements ?? [] {
                    if let id = entry.elements?.first?.text { lastID = id }
                    guard let conviction = conviction(entry), conviction.instance != settings.instance else { continue }
                    incoming.convictions.append(conviction)
                    status.convictionsReceived += 1
                }
            }
            return []
        }
    }

    /// A stream entry `[id, [field, value, ...]]` as a conviction; malformed ones are counted.
    private mutating func conviction(_ entry: RESPValue) -> Conviction? {
        guard let parts = entry.elements, parts.count == 2, let fields = parts[1].elements,
            let conviction = ConvictionCodec.conviction(fields)
        else {
            status.malformedEntries += 1
            return nil
        }
        return conviction
    }

    private mutating func finishHandshake(at time: ProxyTime) -> [Action] {
        var actions: [Action] = [.install(incoming)]
        incoming = FleetIncoming(time: time.wall)
        failures = 0
        synced = true
        status.connected = true
        status.connections += 1
        status.lastSync = time.wall
        if lostAnnounced {
            lostAnnounced = false
            actions.append(.returned(seconds: Double(time.monotonic - lostAt) / 1e9))
        }
        phase = .ready(nextRound: time.monotonic)
        return actions
    }

    private mutating func finishRound(at time: ProxyTime) -> [Action] {
        for count in roundOutgoing.counts where count.window == roundWindow {
            guard let current = increments[count.key] else { continue }
            incoming.figures.append(
                (
                    count.key,
                    FleetFigure(window: roundWindow, previous: previousTotals[count.key] ?? 0, current: current)
                ))
        }
        status.budgetKeysSent += roundOutgoing.counts.count
        roundOutgoing = FleetOutgoing()
        increments = [:]
        let news = incoming
        incoming = FleetIncoming(time: time.wall)
        status.lastSync = time.wall
        phase = .ready(nextRound: time.monotonic + settings.intervalNanoseconds)
        return [.install(news)]
    }

    // MARK: Commands

    private mutating func publish(_ convictions: [Conviction], into out: inout [UInt8]) {
        guard settings.shareConvictions, !convictions.isEmpty else { return }
        for var conviction in convictions {
            conviction.instance = settings.instance
            streamSeconds = max(streamSeconds, conviction.quarantineSeconds + 60)
            command(
                ["XADD", settings.keys.convictions, "MAXLEN", "~", String(settings.maxConvictions), "*"]
                    + ConvictionCodec.fields(conviction), .publish, into: &out)
        }
        command(["PEXPIRE", settings.keys.convictions, String(streamSeconds * 1000)], .expire, into: &out)
    }

    private mutating func command(_ arguments: [String], _ expect: Expect, into out: inout [UInt8]) {
        RESPCommand.encode(arguments, into: &out)
        expecting.append(expect)
        status.commands += 1
    }

    /// Replies whose error does not break sync: a Redis that refuses CLIENT SETNAME (renamed command).
    private static func tolerates(_ expect: Expect) -> Bool {
        if case .setName = expect { return true }
        return false
    }

    private static func name(_ expect: Expect) -> String {
        switch expect {
        case .auth: return "AUTH"
        case .setName: return "CLIENT SETNAME"
        case .load: return "XREVRANGE"
        case .publish: return "XADD"
        case .expire: return "PEXPIRE"
        case .create: return "SET"
        case .read: return "XREAD"
        case .previous: return "GET"
        case .increment, .lateIncrement: return "INCRBY"
        }
    }

    /// Which instance convicted which domain when: an entry already in the stream is not published again.
    private static func identity(_ c: Conviction) -> String { "\(c.domain.value) \(c.since.nanoseconds)" }

    private mutating func nextRandom() -> Double {
        random ^= random << 13
        random ^= random >> 7
        random ^= random << 17
        return Double(random >> 11) / Double(1 << 53)
    }
}

/// Counts and state of fleet sync, for metrics and the status line.
public struct FleetSyncStatus: Sendable, Equatable {
    /// Sync is up: the handshake completed and no failure since.
    public var connected = false
    /// When the last handshake or round completed (wall clock); the lag is now minus this.
    public var lastSync: Timestamp?
    public var rounds = 0
    /// Commands sent to Redis (each pipelined command counts once).
    public var commands = 0
    public var connections = 0
    public var failures = 0
    public var convictionsPublished = 0
    public var convictionsRepublished = 0
    public var convictionsReceived = 0
    /// Budget keys (domain, window) sent.
    public var budgetKeysSent = 0
    /// Stream entries that were not a valid conviction (skipped).
    public var malformedEntries = 0
    public var lastError: String?

    public init() {}
}
