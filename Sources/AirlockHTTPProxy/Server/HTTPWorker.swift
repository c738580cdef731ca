import AirlockEnforcement
import AirlockEvents
import AirlockSystem
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// One worker thread: its own SO_REUSEPORT listener and epoll loop over its client and upstream
/// connections. Nothing is shared but the ``EgressContext`` (behind locks), the resolver, and the
/// counters box.
///
/// `@unchecked Sendable`: built on the main thread, then used only by the thread that runs
/// ``run()``; other threads touch only ``published``, the resolver inbox (``deliver``) and ``stop``.
final class HTTPWorker: @unchecked Sendable {
    enum Kind: UInt64 {
        case listener = 1
        case transparentListener = 4
        case client = 2
        case upstream = 3
        case wake = 6
    }

    static func tag(_ kind: Kind, _ id: UInt64) -> UInt64 { kind.rawValue << 56 | id }

    let index: Int
    let context: EgressContext
    private let resolver: any NameResolver
    private let log: HTTPDecisionLog?
    private let poll: EventPoll
    private let wake: WakeEvent
    private let stopping = Atomic<Bool>(false)
    private var listeners: [Int32] = []
    private var transparentListeners: [Int32] = []
    private var connections: [UInt64: HTTPConnection] = [:]
    /// Who holds this worker's connections (per-client limits).
    var shares: ClientShares
    /// Per client, refusals and closes by the connection limits not yet logged (one record per
    /// client per ``limitLogSeconds``, so a flood of connects is a line, not a flood of lines).
    var limitNotes: [IPAddress: ClientLimitNote] = [:]
    static let limitLogSeconds: Int64 = 10
    private var nextID: UInt64 = 1
    private let scratch: UnsafeMutableRawBufferPointer
    var records: [HTTPDecisionRecord] = []
    private let resolved = Mutex<[(UInt64, ResolveOutcome)]>([])
    private var lastTick: Int64 = 0
    /// When worker 0 last listed the host's addresses for the own-host check.
    private var lastHostAddresses: Int64 = 0
    /// The time of this loop turn, read once after epoll_wait returns (clock reads are not free).
    private var turnTime: ProxyTime?
    private var now: ProxyTime {
        if let t = turnTime { return t }
        let t = ProxyTime.now()
        turnTime = t
        return t
    }
    private var stats = HTTPProxyStats()
    /// Relay buffers of finished tunnels, kept for the next ones: buffers this large come from mmap,
    /// and a fresh pair per tunnel costs two mappings and their page faults.
    private var spareBuffers: [RelayBuffer] = []
    let published = Mutex(HTTPProxyStats())

    init(index: Int, context: EgressContext, resolver: any NameResolver, log: HTTPDecisionLog?) throws(SystemError) {
        self.index = index
        self.context = context
        self.resolver = resolver
        self.log = log
        let configuration = context.configuration
        shares = ClientShares(
            limits: .init(
                total: configuration.maxConnectionsPerWorker, perClient: configuration.maxConnectionsPerClient,
                idlePerClient: configuration.maxIdleConnectionsPerClient))
        poll = try EventPoll()
        wake = try WakeEvent()
        scratch = .allocate(byteCount: 65_536, alignment: 16)
        try poll.add(wake.fd, tag: Self.tag(.wake, 0))
    }

    deinit {
        for fd in listeners + transparentListeners { close(fd) }
        for c in connections.values { closeDescriptors(c) }
        scratch.deallocate()
    }

    func addListener(_ fd: Int32) throws(SystemError) {
        try poll.add(fd, tag: Self.tag(.listener, UInt64(listeners.count)))
        listeners.append(fd)
    }

    /// A listener for connections nftables redirected (transparent mode).
    func addTransparentListener(_ fd: Int32) throws(SystemError) {
        try poll.add(fd, tag: Self.tag(.transparentListener, UInt64(transparentListeners.count)))
        transparentListeners.append(fd)
    }

    func stop() {
        stopping.store(true, ordering: .releasing)
        wake.signal()
    }

    /// Called on the resolver thread.
    func deliver(_ id: UInt64, _ outcome: ResolveOutcome) {
        resolved.withLock { $0.append((id, outcome)) }
        wake.signal()
    }

    var configuration: HTTPProxyConfiguration { context.configuration }

    func run() {
        while !stopping.load(ordering: .acquiring) {
            turnTime = nil
            stats.loopTurns += 1
            poll.wait(timeoutMilliseconds: 250) { tag, events in
                self.stats.events += 1
                self.dispatch(tag, events)
            }
            let now = self.now
            if now.monotonic - lastTick >= 200_000_000 {
                lastTick = now.monotonic
                for c in Array(connections.values) where now.monotonic >= c.machine.deadline {
                    perform(c, c.machine.tick(now: now), now: now)
                }
                published.withLock { $0 = stats }
                flushLimitNotes(now: now, all: false)
                if index == 0 && now.monotonic - lastHostAddresses >= 5_000_000_000 {
                    lastHostAddresses = now.monotonic
                    context.updateOwnHost(HostAddresses.current())
                }
            }
            writeLog()
        }
        for c in Array(connections.values) { finish(c, now: ProxyTime.now(), why: "proxy stopping") }
        flushLimitNotes(now: ProxyTime.now(), all: true)
        writeLog()
        published.withLock { $0 = stats }
    }

    private func writeLog() {
        guard !records.isEmpty else { return }
        log?.write(records)
        records.removeAll(keepingCapacity: true)
    }

    private func dispatch(_ tag: UInt64, _ events: UInt32) {
        let id = tag & 0x00FF_FFFF_FFFF_FFFF
        switch Kind(rawValue: tag >> 56) {
        case .listener?: accept(listeners[Int(id)], transparent: false)
        case .transparentListener?: accept(transparentListeners[Int(id)], transparent: true)
        case .wake?:
            wake.drain()
            let replies = resolved.withLock { list -> [(UInt64, ResolveOutcome)] in
                let out = list
                list.removeAll()
                return out
            }
            let now = self.now
            for (connection, outcome) in replies {
                guard let c = connections[connection] else { continue }
                perform(c, c.machine.resolved(outcome, now: now), now: now)
                pump(c, now: now)
            }
        case .client?:
            guard let c = connections[id] else { return }
            clientEvent(c, events)
        case .upstream?:
            guard let c = connections[id] else { return }
            upstreamEvent(c, events)
        default:
            break
        }
    }

    // MARK: Accept

    private func accept(_ listener: Int32, transparent: Bool) {
        let now = self.now
        for _ in 0..<64 {
            guard let (fd, peer) = Socket.accept(listener) else { return }
            let id = nextID
            nextID += 1
            let admission = shares.admit(id, from: peer.address) { self.connections[$0]?.machine.isWaitingForRequest ?? false }
            guard case .admit(let closing) = admission else {
                stats.refusedConnections += 1
                stats.clientLimitRefused += 1
                noteLimit(peer, refused: 1, now: now)
                close(fd)
                continue
            }
            for victim in closing {
                guard let old = connections[victim] else { continue }
                stats.clientIdleClosed += 1
                noteLimit(old.peer, closed: 1, now: now)
                finish(old, now: now, why: nil)
            }
            try? Socket.setOption(fd, Int32(IPPROTO_TCP), TCP_NODELAY, 1, "TCP_NODELAY")
            // A redirected connection carries its original destination; without one (not redirected)
            // the listener's own address stands in, and TLS must then name its server by SNI.
            let original = transparent ? (OriginalDestination.of(fd) ?? Socket.localEndpoint(fd)) : nil
            let c = HTTPConnection(
                id: id, clientFD: fd, peer: peer,
                machine: ConnectionMachine(context: context, client: peer, now: now, originalDestination: original))
            c.clientEvents = EventPoll.readable
            guard (try? poll.add(fd, tag: Self.tag(.client, id), events: c.clientEvents)) != nil else {
                shares.remove(id, from: peer.address)
                close(fd)
                continue
            }
            connections[id] = c
            stats.connections += 1
        }
    }

    // MARK: Events

    /// Lets the machine take up bytes that were waiting: pipelined requests after a response, a
    /// request body that arrived before the upstream connection, a response read ahead.
    private func pump(_ c: HTTPConnection, now: ProxyTime) {
        for _ in 0..<8 {
            guard connections[c.id] != nil, !c.isRelaying else { return }
            var progressed = false
            if c.machine.consumesClientInput && !c.clientIn.isEmpty {
                let before = c.clientIn.count
                let actions = c.machine.clientData(&c.clientIn, now: now)
                progressed = !actions.isEmpty || c.clientIn.count != before
                perform(c, actions, now: now)
            }
            if connections[c.id] != nil && !c.upstreamIn.isEmpty && c.upstreamFD >= 0 {
                let before = c.upstreamIn.count
                let actions = c.machine.upstreamData(&c.upstreamIn, now: now)
                progressed = progressed || !actions.isEmpty || c.upstreamIn.count != before
                perform(c, actions, now: now)
            }
            if !progressed { return }
        }
    }

    private func clientEvent(_ c: HTTPConnection, _ events: UInt32) {
        let now = self.now
        if events & EventPoll.writable != 0 { flushClient(c, now: now) }
        guard connections[c.id] != nil else { return }
        if events & (EventPoll.readable | EventPoll.hangup | EventPoll.error) != 0 {
            if c.isRelaying {
                relayUp(c, now: now)
            } else {
                readClient(c, now: now)
            }
        }
        pump(c, now: now)
        // Error and hang-up are reported whatever the interest mask says.
        if connections[c.id] != nil && events & (EventPoll.error | EventPoll.hangup) != 0 {
            apply(c, c.relay.clientHungUp(), now: now)
        }
        if connections[c.id] != nil { updateInterest(c) }
    }

    private func upstreamEvent(_ c: HTTPConnection, _ events: UInt32) {
        let now = self.now
        if c.relay.upstreamConnecting {
            guard events & (EventPoll.writable | EventPoll.error | EventPoll.hangup) != 0 else { return }
            let error = Socket.pendingError(c.upstreamFD)
            if error != 0 || events & EventPoll.error != 0 {
                let reason = String(cString: strerror(error == 0 ? ECONNREFUSED : error))
                closeUpstream(c)
                perform(c, c.machine.upstreamFailed(reason: reason, now: now), now: now)
                return
            }
            c.relay.connected()
            perform(c, c.machine.upstreamConnected(now: now), now: now)
            pump(c, now: now)
            guard connections[c.id] != nil else { return }
        }
        if events & EventPoll.writable != 0 { flushUpstream(c, now: now) }
        guard connections[c.id] != nil, c.upstreamFD >= 0 else { return }
        if events & (EventPoll.readable | EventPoll.hangup | EventPoll.error) != 0 {
            if c.isRelaying {
                relayDown(c, now: now)
            } else {
                readUpstream(c, now: now)
            }
        }
        pump(c, now: now)
        if connections[c.id] != nil && c.upstreamFD >= 0 && events & (EventPoll.error | EventPoll.hangup) != 0 {
            apply(c, c.relay.upstreamHungUp(), now: now)
        }
        if connections[c.id] != nil { updateInterest(c) }
    }

    private func readClient(_ c: HTTPConnection, now: ProxyTime) {
        guard !c.relay.clientReadEnded, !c.relay.closing else { return }
        let limit = configuration.limits.maxHeadBytes + configuration.relayBufferBytes
        switch SocketInput.read(c.clientFD, into: &c.clientIn, limit: limit, scratch: scratch) {
        case .bytes:
            perform(c, c.machine.clientData(&c.clientIn, now: now), now: now)
        case .wouldBlock:
            break
        case .endOfStream, .error:
            c.relay.clientEnded()
            if !c.clientIn.isEmpty { perform(c, c.machine.clientData(&c.clientIn, now: now), now: now) }
            guard connections[c.id] != nil else { return }
            perform(c, c.machine.clientClosed(now: now), now: now)
        }
    }

    private func readUpstream(_ c: HTTPConnection, now: ProxyTime) {
        guard !c.relay.upstreamReadEnded else { return }
        let limit = configuration.relayBufferBytes
        switch SocketInput.read(c.upstreamFD, into: &c.upstreamIn, limit: limit, scratch: scratch) {
        case .bytes(let n):
            stats.bytesDown += n
            perform(c, c.machine.upstreamData(&c.upstreamIn, now: now), now: now)
        case .wouldBlock:
            break
        case .endOfStream, .error:
            c.relay.upstreamEnded()
            if !c.upstreamIn.isEmpty { perform(c, c.machine.upstreamData(&c.upstreamIn, now: now), now: now) }
            guard connections[c.id] != nil else { return }
            perform(c, c.machine.upstreamClosed(now: now), now: now)
        }
    }

    // MARK: Relay

    private func relayUp(_ c: HTTPConnection, now: ProxyTime) {
        guard let up = c.up, !c.relay.clientReadEnded else { return }
        var moved = 0
        reading: for _ in 0..<4 {
            guard up.hasSpace else { break }
            switch up.read(from: c.clientFD) {
            case .bytes(let n, let full):
                moved += n
                // Pass it on at once; stop reading when the other side does not keep up, or when a
                // short read says the socket is drained (epoll reports the next bytes).
                guard c.toUpstream.isEmpty, up.flush(to: c.upstreamFD), up.isEmpty, full else { break reading }
            case .wouldBlock: break reading
            case .endOfStream, .error:
                c.relay.clientEnded()
                break reading
            }
        }
        if moved > 0 {
            stats.bytesUp += moved
            perform(c, c.machine.tunnelTraffic(up: moved, down: 0, now: now), now: now)
            guard connections[c.id] != nil else { return }
        }
        flushUpstream(c, now: now)
    }

    private func relayDown(_ c: HTTPConnection, now: ProxyTime) {
        guard let down = c.down, !c.relay.upstreamReadEnded else { return }
        var moved = 0
        reading: for _ in 0..<4 {
            guard down.hasSpace else { break }
            switch down.read(from: c.upstreamFD) {
            case .bytes(let n, let full):
                moved += n
                guard c.toClient.isEmpty, down.flush(to: c.clientFD), down.isEmpty, full else { break reading }
            case .wouldBlock: break reading
            case .endOfStream, .error:
                c.relay.upstreamEnded()
                break reading
            }
        }
        if moved > 0 {
            stats.bytesDown += moved
            perform(c, c.machine.tunnelTraffic(up: 0, down: moved, now: now), now: now)
            guard connections[c.id] != nil else { return }
        }
        flushClient(c, now: now)
    }

    // MARK: Writing

    private func flushClient(_ c: HTTPConnection, now: ProxyTime) {
        var ok = c.toClient.flush(c.clientFD)
        if ok, c.toClient.isEmpty, let down = c.down { ok = down.flush(to: c.clientFD) }
        guard ok else { return finish(c, now: now, why: "client write failed") }
        let drained = c.toClient.isEmpty && (c.down?.isEmpty ?? true)
        apply(c, c.relay.clientFlushed(drained: drained), now: now)
    }

    private func flushUpstream(_ c: HTTPConnection, now: ProxyTime) {
        guard c.upstreamFD >= 0, !c.relay.upstreamConnecting else { return }
        var ok = c.toUpstream.flush(c.upstreamFD)
        if ok, c.toUpstream.isEmpty, let up = c.up { ok = up.flush(to: c.upstreamFD) }
        guard ok else {
            if c.isRelaying { return finish(c, now: now, why: "upstream write failed") }
            closeUpstream(c)
            return perform(c, c.machine.upstreamClosed(now: now), now: now)
        }
        let drained = c.toUpstream.isEmpty && (c.up?.isEmpty ?? true)
        apply(c, c.relay.upstreamFlushed(drained: drained), now: now)
    }

    /// Carries out what the relay state asked for.
    private func apply(_ c: HTTPConnection, _ actions: [RelayState.Action], now: ProxyTime) {
        for action in actions {
            guard connections[c.id] != nil else { return }
            switch action {
            case .shutClientWrite:
                shutdown(c.clientFD, Int32(SHUT_WR))
            case .shutUpstreamWrite:
                shutdown(c.upstreamFD, Int32(SHUT_WR))
            case .abandonUpstream:
                // What the upstream sent is still delivered to the client; then the tunnel ends.
                poll.remove(c.upstreamFD)
                c.upstreamEvents = 0
                c.up?.reset()
                c.toUpstream.removeAll()
                flushClient(c, now: now)
            case .finish(let reason):
                finish(c, now: now, why: reason)
            }
        }
    }

    // MARK: Actions

    private func perform(_ c: HTTPConnection, _ actions: [ConnectionAction], now: ProxyTime) {
        for action in actions {
            guard connections[c.id] != nil else { break }
            switch action {
            case .sendClient(let bytes):
                c.toClient.append(bytes)
                flushClient(c, now: now)
            case .sendUpstream(let bytes):
                stats.bytesUp += bytes.count
                c.toUpstream.append(bytes)
                flushUpstream(c, now: now)
            case .resolve(let name):
                stats.lookups += 1
                let id = c.id
                resolver.resolve(name, for: c.peer) { [self] outcome in deliver(id, outcome) }
            case .connect(let endpoint):
                connect(c, to: endpoint, now: now)
            case .relay:
                stats.tunnels += 1
                c.relay.startRelay()
                c.up = spareBuffers.popLast() ?? RelayBuffer(capacity: configuration.relayBufferBytes)
                c.down = spareBuffers.popLast() ?? RelayBuffer(capacity: configuration.relayBufferBytes)
                if !c.clientIn.isEmpty {
                    c.toUpstream.append(c.clientIn)
                    c.clientIn.removeAll()
                }
                if !c.upstreamIn.isEmpty {
                    c.toClient.append(c.upstreamIn)
                    c.upstreamIn.removeAll()
                }
            case .closeUpstream:
                closeUpstream(c)
            case .close:
                c.relay.close()
                closeUpstream(c)
                flushClient(c, now: now)
            }
        }
        records += c.machine.takeRecords()
        if connections[c.id] != nil {
            if c.machine.isClosed && !c.relay.closing {
                c.relay.close()
                flushClient(c, now: now)
            }
            if connections[c.id] != nil { updateInterest(c) }
        }
    }

    private func connect(_ c: HTTPConnection, to endpoint: Endpoint, now: ProxyTime) {
        closeUpstream(c)
        do throws(SystemError) {
            let fd = try Socket.startTCP(to: endpoint)
            c.upstreamFD = fd
            c.relay.connectStarted()
            c.upstreamEvents = EventPoll.writable
            try poll.add(fd, tag: Self.tag(.upstream, c.id), events: c.upstreamEvents)
        } catch {
            closeUpstream(c)
            perform(c, c.machine.upstreamFailed(reason: error.description, now: now), now: now)
        }
    }

    private func closeUpstream(_ c: HTTPConnection) {
        guard c.upstreamFD >= 0 else { return }
        poll.remove(c.upstreamFD)
        close(c.upstreamFD)
        c.upstreamFD = -1
        c.relay.upstreamClosed()
        c.upstreamIn.removeAll()
        c.toUpstream.removeAll()
        c.upstreamEvents = 0
    }

    /// Closes a connection for good; `why` (when given) ends a tunnel's log with its byte counts.
    private func finish(_ c: HTTPConnection, now: ProxyTime, why: String?) {
        guard connections.removeValue(forKey: c.id) != nil else { return }
        shares.remove(c.id, from: c.peer.address)
        if let why { c.machine.tunnelEnded(now: now, why: why) }
        records += c.machine.takeRecords()
        closeDescriptors(c)
        for buffer in [c.up, c.down] {
            guard let buffer, spareBuffers.count < 64 else { continue }
            buffer.reset()
            spareBuffers.append(buffer)
        }
        c.up = nil
        c.down = nil
    }

    private func closeDescriptors(_ c: HTTPConnection) {
        closeUpstream(c)
        poll.remove(c.clientFD)
        close(c.clientFD)
    }

    /// Level-triggered interest: read a side while there is room toward the other, write a side
    /// while something waits for it.
    private func updateInterest(_ c: HTTPConnection) {
        var client: UInt32 = 0
        if !c.toClient.isEmpty || !(c.down?.isEmpty ?? true) { client |= EventPoll.writable }
        if !c.relay.clientReadEnded && !c.relay.closing {
            if c.isRelaying {
                if c.up!.hasSpace && c.toUpstream.count < configuration.relayBufferBytes {
                    client |= EventPoll.readable
                }
            } else if c.clientIn.count < configuration.relayBufferBytes
                && (c.machine.consumesClientInput || c.clientIn.count < configuration.limits.maxHeadBytes)
                && c.toUpstream.count < configuration.relayBufferBytes
            {
                client |= EventPoll.readable
            }
        }
        if client != c.clientEvents {
            c.clientEvents = client
            poll.modify(c.clientFD, tag: Self.tag(.client, c.id), events: client)
        }
        guard c.upstreamFD >= 0, c.relay.upstreamWatched else { return }
        var upstream: UInt32 = 0
        if c.relay.upstreamConnecting {
            upstream = EventPoll.writable
        } else {
            if !c.toUpstream.isEmpty || !(c.up?.isEmpty ?? true) { upstream |= EventPoll.writable }
            if !c.relay.upstreamReadEnded {
                if c.isRelaying {
                    if c.down!.hasSpace && c.toClient.count < configuration.relayBufferBytes {
                        upstream |= EventPoll.readable
                    }
                } else if c.toClient.count < configuration.relayBufferBytes
                    && c.upstreamIn.count < configuration.relayBufferBytes
                {
                    upstream |= EventPoll.readable
                }
            }
        }
        if upstream != c.upstreamEvents {
            c.upstreamEvents = upstream
            poll.modify(c.upstreamFD, tag: Self.tag(.upstream, c.id), events: upstream)
        }
    }
}

/// Counters of one worker, summed by the server.
public struct HTTPProxyStats: Sendable {
    public var connections = 0
    public var refusedConnections = 0
    /// Connections refused because their client was at its share (all its connections busy) or
    /// the worker was full with no client over its share.
    public var clientLimitRefused = 0
    /// Idle connections closed to make room: a client past its pending heads or its share, or the
    /// client holding the most when the worker was full.
    public var clientIdleClosed = 0
    public var lookups = 0
    public var tunnels = 0
    public var bytesUp = 0
    public var bytesDown = 0
    /// Event-loop turns and the events they handled (their ratio shows how busy a turn is).
    public var loopTurns = 0
    public var events = 0

    public mutating func add(_ other: HTTPProxyStats) {
        loopTurns += other.loopTurns
        events += other.events
        connections += other.connections
        refusedConnections += other.refusedConnections
        clientLimitRefused += other.clientLimitRefused
        clientIdleClosed += other.clientIdleClosed
        lookups += other.lookups
        tunnels += other.tunnels
        bytesUp += other.bytesUp
        bytesDown += other.bytesDown
    }

    public var json: String {
        "{\"connections\":\(connections),\"refused_connections\":\(refusedConnections),"
            + "\"client_limit_refused\":\(clientLimitRefused),\"client_idle_closed\":\(clientIdleClosed),\"lookups\":\(lookups),"
            + "\"tunnels\":\(tunnels),\"bytes_up\":\(bytesUp),\"bytes_down\":\(bytesDown),"
            + "\"loop_turns\":\(loopTurns),\"events\":\(events)}"
    }
}
