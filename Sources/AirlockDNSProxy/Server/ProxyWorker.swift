import AirlockEnforcement
import AirlockEvents
import AirlockSystem
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// One worker thread: its own SO_REUSEPORT listening sockets, upstream sockets and core, in one
/// epoll loop: receive a batch (`recvmmsg`) → decide each → send the answers in a batch
/// (`sendmmsg`). Nothing here is shared but the core's ``SharedInspection`` and the stats box.
///
/// `@unchecked Sendable`: a worker is built on the main thread and from then on used only by the
/// thread that runs ``run()``; the server reads only ``published``, which has its own lock.
package final class ProxyWorker: @unchecked Sendable {
    package enum Kind: UInt64 {
        case udpListener = 1
        case tcpListener = 2
        case tcpClient = 3
        case upstreamUDP = 4
        case upstreamTCP = 5
        case wake = 6
    }

    package static func tag(_ kind: Kind, _ id: UInt64) -> UInt64 { kind.rawValue << 56 | id }

    struct UDPListener {
        let fd: Int32
        let local: Endpoint
        let replies: UDPBatch
    }

    struct TCPListener {
        let fd: Int32
        let local: Endpoint
    }

    let index: Int
    private var core: DNSProxyCore
    private let poll: EventPoll
    private let wake: WakeEvent
    private let log: DecisionLog?
    private let stopping: Atomic<Bool>
    private var udpListeners: [UDPListener] = []
    private var tcpListeners: [TCPListener] = []
    private let received: UDPBatch
    /// Upstream answers (UDP can carry up to 64 KiB, so full-size slots).
    private let answers = UDPBatch(capacity: 32, slotSize: 65_536)
    private let upstreams: UpstreamSockets
    private let tcpClients: TCPClients
    private let scratch: UnsafeMutableRawBufferPointer
    private var actions: [ProxyAction] = []
    /// Reused per batch: the datagrams of one `recvmmsg`, handed to the core together.
    private var incoming: [IncomingQuery] = []
    private var upstreamAnswers: [(bytes: [UInt8], upstream: Endpoint)] = []
    private var lastHousekeeping: Int64 = 0
    /// The decisions of the last batch, traded with the core's buffer (``DNSProxyCore/takeRecords(into:)``).
    private var logged: [DNSDecisionRecord] = []
    /// The worker's counters, copied out about once a second and at exit.
    let published = Mutex<ProxyStats>(ProxyStats())

    init(index: Int, core: DNSProxyCore, log: DecisionLog?) throws(SystemError) {
        self.index = index
        self.core = core
        self.log = log
        self.stopping = Atomic(false)
        poll = try EventPoll()
        wake = try WakeEvent()
        let configuration = core.configuration
        received = UDPBatch(capacity: 64, slotSize: configuration.maxUDPQueryBytes + 1)
        upstreams = UpstreamSockets(
            poll: poll, poolSize: configuration.upstreamSocketsPerUpstream,
            usesPerSocket: configuration.upstreamSocketUses)
        tcpClients = TCPClients(poll: poll, limit: configuration.maxTCPConnectionsPerWorker)
        scratch = .allocate(byteCount: 65_536, alignment: 16)
        try poll.add(wake.fd, tag: Self.tag(.wake, 0))
    }

    deinit {
        for l in udpListeners { close(l.fd) }
        for l in tcpListeners { close(l.fd) }
        scratch.deallocate()
    }

    /// Adopts a bound UDP socket (the worker closes it when done).
    func addUDPListener(fd: Int32, local: Endpoint) throws(SystemError) {
        try poll.add(fd, tag: Self.tag(.udpListener, UInt64(udpListeners.count)))
        udpListeners.append(UDPListener(fd: fd, local: local, replies: UDPBatch(capacity: 64, slotSize: 4096)))
    }

    /// Adopts a listening TCP socket.
    func addTCPListener(fd: Int32, local: Endpoint) throws(SystemError) {
        try poll.add(fd, tag: Self.tag(.tcpListener, UInt64(tcpListeners.count)))
        tcpListeners.append(TCPListener(fd: fd, local: local))
    }

    /// Asks the loop to finish its turn and return.
    func stop() {
        stopping.store(true, ordering: .releasing)
        wake.signal()
    }

    /// The longest a stopping worker waits for the answers its clients are still owed. Every pending
    /// query ends by itself within the policy's attempts × timeout (answer or SERVFAIL); this caps a
    /// policy with long timeouts so `SIGTERM` always ends the process promptly.
    static let drainLimitNanoseconds: Int64 = 5_000_000_000

    /// The event loop; returns after ``stop()`` once every query it accepted has its answer (an
    /// upstream's, or SERVFAIL at its deadline), or after ``drainLimitNanoseconds``: a graceful stop
    /// (SIGTERM during load) leaves no client waiting on a query the proxy took.
    func run() {
        serve { !self.stopping.load(ordering: .acquiring) }
        // Drain: no new queries (listeners out of the loop; TCP clients mid-answer still written),
        // pending upstream queries run to their answer or their SERVFAIL.
        for listener in udpListeners { poll.remove(listener.fd) }
        for listener in tcpListeners { poll.remove(listener.fd) }
        let drainEnd = ProxyTime.now().monotonic + Self.drainLimitNanoseconds
        serve { self.core.pendingCount > 0 && ProxyTime.now().monotonic < drainEnd }
        writeLog()
        publish()
    }

    private func serve(while running: () -> Bool) {
        while running() {
            var timeout: Int32 = 1000
            if let deadline = core.nextDeadline() {
                let wait = (deadline - ProxyTime.now().monotonic) / 1_000_000 + 1
                timeout = Int32(clamping: max(0, min(wait, 1000)))
            }
            poll.wait(timeoutMilliseconds: timeout) { tag, events in
                self.dispatch(tag, events)
            }
            let time = ProxyTime.now()
            core.expire(at: time, into: &actions)
            perform(at: time)
            flush(at: time)
            writeLog()
            if time.monotonic - lastHousekeeping > 1_000_000_000 { housekeeping(time) }
        }
    }

    private func dispatch(_ tag: UInt64, _ events: UInt32) {
        let id = tag & 0x00FF_FFFF_FFFF_FFFF
        guard let kind = Kind(rawValue: tag >> 56) else { return }
        core.refreshPolicy()
        switch kind {
        case .udpListener: receiveQueries(Int(id))
        case .tcpListener:
            let listener = tcpListeners[Int(id)]
            tcpClients.accept(listener.fd, local: listener.local, now: ProxyTime.now().monotonic)
        case .tcpClient:
            let time = ProxyTime.now()
            for (client, bytes) in tcpClients.read(id, events: events, now: time.monotonic, scratch: scratch) {
                actions.append(core.receiveQuery(bytes, from: client, at: time))
            }
            perform(at: time)
        case .upstreamUDP: receiveUpstream(id)
        case .upstreamTCP:
            let time = ProxyTime.now()
            switch upstreams.handleTCP(id, events: events, scratch: scratch) {
            case .waiting: break
            case .answer(let upstream, let bytes):
                actions.append(core.receiveUpstream(bytes, from: upstream, transport: .tcp, at: time))
            case .failed(let upstream, let queryID):
                core.upstreamFailed(upstream, transport: .tcp, id: queryID, at: time, into: &actions)
            }
            perform(at: time)
        case .wake: wake.drain()
        }
    }

    /// Drains a UDP listener in batches (a bounded number per wake-up, for fairness).
    private func receiveQueries(_ listenerIndex: Int) {
        let listener = udpListeners[listenerIndex]
        for _ in 0..<8 {
            let n = received.receive(listener.fd)
            guard n > 0 else { return }
            let time = ProxyTime.now()
            incoming.removeAll(keepingCapacity: true)
            for i in 0..<n {
                let (bytes, peer, truncated) = received.datagram(i)
                guard let peer else { continue }
                let client = ClientHandle(
                    transport: .udp, peer: peer, local: listener.local, channel: UInt64(listenerIndex))
                incoming.append(IncomingQuery(bytes: bytes, client: client, oversized: truncated))
            }
            // The whole batch through the shared engine under one lock acquisition.
            core.receiveQueries(incoming, at: time, into: &actions)
            perform(at: time)
            flush(at: time)
            if n < received.capacity { return }
        }
    }

    /// Drains an upstream socket in batches (`recvmmsg`).
    private func receiveUpstream(_ id: UInt64) {
        guard let socket = upstreams.udp[id] else { return }
        let time = ProxyTime.now()
        for _ in 0..<4 {
            let n = answers.receive(socket.fd)
            if n < 0 {
                // ECONNREFUSED: ICMP port unreachable; fail over everything waiting on that upstream.
                core.upstreamFailed(socket.upstream, transport: .udp, id: nil, at: time, into: &actions)
                break
            }
            upstreamAnswers.removeAll(keepingCapacity: true)
            for i in 0..<n { upstreamAnswers.append((answers.datagram(i).bytes, socket.upstream)) }
            core.receiveUpstreams(upstreamAnswers, transport: .udp, at: time, into: &actions)
            // Answers go out now, not at the end of the loop turn: other ready sockets may hold a
            // long batch of work, and these clients have waited a full round trip already.
            perform(at: time)
            flush(at: time)
            if n < answers.capacity { break }
        }
        perform(at: time)
    }

    /// Carries out queued actions; a failed upstream send turns into a retry or SERVFAIL action.
    private func perform(at time: ProxyTime) {
        var i = 0
        while i < actions.count {
            switch actions[i] {
            case .none: break
            case .respond(let client, let bytes):
                switch client.transport {
                case .udp:
                    let listener = udpListeners[Int(client.channel)]
                    if !listener.replies.append(bytes, to: client.peer) {
                        if listener.replies.isFull {
                            listener.replies.flush(listener.fd)
                            if !listener.replies.append(bytes, to: client.peer) {
                                UDPBatch.sendOne(listener.fd, bytes, to: client.peer)
                            }
                        } else {
                            UDPBatch.sendOne(listener.fd, bytes, to: client.peer)
                        }
                    }
                case .tcp:
                    tcpClients.respond(client.channel, bytes)
                }
            case .forward(let query):
                upstreams.forward(query, batched: true, core: &core, at: time, into: &actions)
            }
            i += 1
        }
        actions.removeAll(keepingCapacity: true)
    }

    /// Sends what the turn queued: queries upstream first (their answers take longest), then the
    /// answers to clients. An upstream whose socket reports an error has its queries failed over,
    /// which may queue retries or SERVFAILs: those go out in the same turn.
    private func flush(at time: ProxyTime) {
        for _ in 0..<4 {
            let failed = upstreams.flushUDP(now: time.monotonic)
            if failed.isEmpty { break }
            for upstream in failed { core.upstreamFailed(upstream, transport: .udp, id: nil, at: time, into: &actions) }
            perform(at: time)
        }
        for listener in udpListeners where listener.replies.count > 0 { listener.replies.flush(listener.fd) }
    }

    private func writeLog() {
        core.takeRecords(into: &logged)
        if !logged.isEmpty { log?.write(logged) }
    }

    private func housekeeping(_ time: ProxyTime) {
        lastHousekeeping = time.monotonic
        upstreams.closeRetired(now: time.monotonic)
        upstreams.abandonStaleTCP(now: time.monotonic, maxAge: 120_000_000_000)
        tcpClients.closeIdle(now: time.monotonic, idle: Int64(core.configuration.tcpIdleSeconds) * 1_000_000_000)
        publish()
    }

    private func publish() {
        let stats = core.stats
        published.withLock { $0 = stats }
    }
}
