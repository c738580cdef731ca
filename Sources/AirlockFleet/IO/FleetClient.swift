import AirlockEnforcement
import AirlockEvents
import AirlockPolicy
import AirlockSystem
import AirlockTLSClient
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Fleet sync's turning points, for alerts and the operator's log.
public enum FleetEvent: Sendable {
    /// Sync was lost, or could not be set up at start: the instance goes on with local state only.
    case lost(reason: String, at: Timestamp)
    /// Sync is back after `seconds` without it.
    case returned(seconds: Double, at: Timestamp)
}

/// Why fleet mode could not start (before any traffic flows).
public struct FleetStartError: Error, CustomStringConvertible, Sendable {
    public var description: String
}

/// The thin I/O layer around ``FleetSync``: one thread, one connection to Redis, every call with a
/// timeout. It takes batches from the enforcer (``FleetPeer``) once per sync interval and installs
/// what comes back; the DNS workers never wait on it (they only meet it in the short critical
/// sections where a batch is swapped).
public final class FleetClient: Sendable {
    public let policy: FleetPolicy
    public let instance: String
    private let peer: any FleetPeer
    private let observer: @Sendable (FleetEvent) -> Void
    private let tls: TLSClientContext?
    private let wake: WakeEvent
    private let stopping = Atomic<Bool>(false)
    private let thread = Mutex<pthread_t?>(nil)
    private let published = Mutex(FleetSyncStatus())

    /// Milliseconds a connection attempt (and TLS handshake) or one write may take.
    static let ioTimeoutMilliseconds = 1_000

    /// - Parameters:
    ///   - instance: this instance's name (the policy's, or `--fleet-instance`, or the host name).
    ///   - observer: told when sync is lost and when it returns, on the fleet thread; must not block.
    public init(
        policy: FleetPolicy, instance: String, peer: any FleetPeer,
        observer: @escaping @Sendable (FleetEvent) -> Void = { _ in }
    ) throws(FleetStartError) {
        self.policy = policy
        self.instance = instance
        self.peer = peer
        self.observer = observer
        do {
            wake = try WakeEvent()
        } catch {
            throw FleetStartError(description: "fleet: \(error)")
        }
        if let settings = policy.tls {
            do {
                tls = try TLSClientContext(caFile: settings.caFile)
            } catch {
                throw FleetStartError(description: "fleet.tls: \(error)")
            }
        } else {
            tls = nil
        }
    }

    /// The sync state and counts as of the last step.
    public var status: FleetSyncStatus { published.withLock { $0 } }

    /// When the client was made: the lag before the first exchange counts from here.
    private let created = ProxyTime.now().wall

    /// Seconds since the last completed exchange with Redis (since start when there was none).
    public func lagSeconds(at now: Timestamp) -> Double {
        let last = status.lastSync ?? created
        return max(0, Double(now.nanoseconds - last.nanoseconds) / 1e9)
    }

    /// Starts the fleet thread (it connects at once and retries with backoff while Redis is away).
    public func start() throws(SystemError) {
        let started = try Threads.start { [self] in run() }
        thread.withLock { $0 = started }
    }

    /// Stops the thread and closes the connection (a batch in flight is handed back to the enforcer).
    public func stop() {
        stopping.store(true, ordering: .relaxed)
        wake.signal()
        if let running = thread.withLock({ t -> pthread_t? in
            let out = t
            t = nil
            return out
        }) {
            Threads.join(running)
        }
    }

    private func run() {
        let settings = FleetSync.Settings(
            instance: instance, keyPrefix: policy.keyPrefix, username: policy.username, password: policy.password,
            intervalMilliseconds: policy.syncIntervalMilliseconds, maxConvictions: policy.maxConvictions,
            budgetWindowSeconds: policy.shareLeakBudget ? policy.leakBudget.windowSeconds : nil,
            shareConvictions: policy.shareConvictions)
        let now = ProxyTime.now()
        var sync = FleetSync(
            settings: settings,
            seed: UInt64(bitPattern: now.monotonic) ^ UInt64(truncatingIfNeeded: instance.hashValue))
        var connection: RedisConnection?
        let poll = try? EventPoll()
        try? poll?.add(wake.fd, tag: 1)
        let tlsSettings = tls.map { ($0, policy.tls?.serverName ?? policy.redis.host) }

        func perform(_ actions: [FleetSync.Action]) {
            for action in actions {
                switch action {
                case .send(let bytes):
                    do throws(RedisConnectionError) {
                        guard let connection else { throw RedisConnectionError(description: "not connected") }
                        try connection.write(bytes, timeoutMilliseconds: Self.ioTimeoutMilliseconds)
                    } catch {
                        perform(sync.failed(error.description, at: .now()))
                        return
                    }
                case .install(let incoming): peer.install(incoming)
                case .restore(let outgoing): peer.restore(outgoing)
                case .disconnect:
                    connection?.close()
                    connection = nil
                case .lost(let reason): observer(.lost(reason: reason, at: ProxyTime.now().wall))
                case .returned(let seconds): observer(.returned(seconds: seconds, at: ProxyTime.now().wall))
                }
            }
        }

        while !stopping.load(ordering: .relaxed) {
            let now = ProxyTime.now()
            switch sync.next(at: now.monotonic) {
            case .connect:
                do {
                    connection = try RedisConnection.open(
                        host: policy.redis.host, port: policy.redis.port, tls: tlsSettings,
                        timeoutMilliseconds: Self.ioTimeoutMilliseconds)
                    let time = ProxyTime.now()
                    perform(sync.connected(at: time, local: peer.localConvictions(now: time.wall)))
                } catch {
                    perform(sync.failed("cannot reach Redis at \(policy.redis): \(error)", at: .now()))
                }
            case .round:
                perform(sync.startRound(peer.takeOutgoing(), at: .now()))
            case .timedOut:
                perform(sync.failed("no answer from Redis at \(policy.redis) in time", at: now))
            case .wait(let until):
                // Short slices, so a stop is noticed within 100 ms whatever Redis does.
                let milliseconds = Int(max(0, min(until - now.monotonic, 100_000_000)) / 1_000_000) + 1
                if sync.awaitingReplies, let open = connection {
                    do throws(RedisConnectionError) {
                        if let bytes = try open.read(timeoutMilliseconds: milliseconds) {
                            if bytes.isEmpty { throw RedisConnectionError(description: "Redis closed the connection") }
                            perform(sync.received(bytes, at: .now()))
                        }
                    } catch {
                        perform(sync.failed(error.description, at: .now()))
                    }
                } else {
                    poll?.wait(timeoutMilliseconds: Int32(milliseconds)) { _, _ in wake.drain() }
                }
            }
            let status = sync.status
            published.withLock { $0 = status }
        }
        // A batch taken and not answered goes back, so a restart of fleet mode loses nothing.
        perform(sync.failed("stopping", at: .now()).filter { if case .lost = $0 { return false } else { return true } })
        connection?.close()
    }
}
