import AirlockDNSWire
import AirlockEnforcement
import AirlockEvents
import AirlockSystem
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The DNS core's ``NameResolver``: resolves the names HTTP clients ask for through Airlock's own
/// DNS path, on one thread of its own.
///
/// Each lookup is a query fed to a ``DNSProxyCore`` as if the sandbox had sent it (the client's
/// address is the query's source), so the DNS policy, record types, quarantines, leak budgets and
/// rebinding checks of that sandbox apply, and the name is shown to the same detection engine as
/// the sandbox's own DNS traffic (the core shares ``SharedInspection`` with the DNS server when both
/// run in one `airlock serve`). Its upstream sockets are the DNS workers' own ``UpstreamSockets``.
/// A, then AAAA when there is no A record.
///
/// `@unchecked Sendable`: everything but the inbox and the stop flag is used only by the thread
/// that runs ``run()``.
public final class DNSCoreResolver: NameResolver, @unchecked Sendable {
    struct Request: Sendable {
        var name: DNSName
        var client: Endpoint
        var reply: @Sendable (ResolveOutcome) -> Void
    }

    struct Lookup {
        var request: Request
        var qtype: UInt16
        var handle: ClientHandle
    }

    private var core: DNSProxyCore
    private let poll: EventPoll
    private let wake: WakeEvent
    private let upstreams: UpstreamSockets
    private let inbox = Mutex<[Request]>([])
    private let stopping = Atomic<Bool>(false)
    private let dnsLog: DecisionLog?
    private var lookups: [UInt64: Lookup] = [:]
    private var nextID: UInt64 = 1
    private var actions: [ProxyAction] = []
    private let scratch: UnsafeMutableRawBufferPointer
    private var lastHousekeeping: Int64 = 0
    /// The lookups' own query IDs (the core replaces them upstream; they only need to be unique-ish).
    private var random = RandomPool()
    /// The address the core sees queries arrive on (the HTTP proxy's first listener).
    private let local: Endpoint
    static let wakeTag = ProxyWorker.tag(.wake, 0)

    private let thread = ThreadGroup()

    /// - Parameters:
    ///   - configuration: upstream resolvers, timeouts and cache, as the DNS server's (one thread;
    ///     no answer observer: names the proxy resolves for a sandbox open no firewall path for it,
    ///     the proxy connects itself).
    ///   - shared: the DNS server's shared inspection, so both proxies judge names with one engine.
    ///   - local: the address the lookups appear to arrive on (the HTTP proxy's first listener).
    ///   - log: where the lookups' DNS decisions go (the DNS server's log, typically).
    public init(
        configuration: ProxyConfiguration, shared: SharedInspection, local: Endpoint, log dnsLog: DecisionLog?
    ) throws(SystemError) {
        var configuration = configuration
        configuration.threads = 1
        configuration.answerObserver = nil
        let core = DNSProxyCore(configuration: configuration, shared: shared)
        self.core = core
        self.local = local
        self.dnsLog = dnsLog
        poll = try EventPoll()
        wake = try WakeEvent()
        upstreams = UpstreamSockets(
            poll: poll, poolSize: core.configuration.upstreamSocketsPerUpstream,
            usesPerSocket: core.configuration.upstreamSocketUses)
        scratch = .allocate(byteCount: 65_536, alignment: 16)
        try poll.add(wake.fd, tag: Self.wakeTag)
    }

    deinit { scratch.deallocate() }

    /// Queues a lookup; `reply` runs on the resolver thread.
    public func resolve(_ name: DNSName, for client: Endpoint, reply: @escaping @Sendable (ResolveOutcome) -> Void) {
        inbox.withLock { $0.append(Request(name: name, client: client, reply: reply)) }
        wake.signal()
    }

    /// Starts the resolver's thread.
    public func start() throws(SystemError) {
        try thread.start([{ self.run() }])
    }

    /// Stops the thread (lookups still waiting are answered `failed`) and waits for it.
    public func stop() {
        stopping.store(true, ordering: .releasing)
        wake.signal()
        thread.join()
    }

    func run() {
        while !stopping.load(ordering: .acquiring) {
            var timeout: Int32 = 1000
            if let deadline = core.nextDeadline() {
                timeout = Int32(clamping: max(0, min((deadline - ProxyTime.now().monotonic) / 1_000_000 + 1, 1000)))
            }
            poll.wait(timeoutMilliseconds: timeout) { tag, events in self.dispatch(tag, events) }
            let time = ProxyTime.now()
            core.refreshPolicy()
            core.expire(at: time, into: &actions)
            perform(at: time)
            if time.monotonic - lastHousekeeping > 1_000_000_000 {
                lastHousekeeping = time.monotonic
                upstreams.closeRetired(now: time.monotonic)
                upstreams.abandonStaleTCP(now: time.monotonic, maxAge: 120_000_000_000)
            }
        }
        for lookup in lookups.values { lookup.request.reply(.failed("the proxy is stopping")) }
        lookups.removeAll()
    }

    private func dispatch(_ tag: UInt64, _ events: UInt32) {
        let id = tag & 0x00FF_FFFF_FFFF_FFFF
        let time = ProxyTime.now()
        switch ProxyWorker.Kind(rawValue: tag >> 56) {
        case .wake?:
            wake.drain()
            let requests = inbox.withLock { list -> [Request] in
                let out = list
                list.removeAll()
                return out
            }
            for request in requests { begin(request, qtype: DNSRecordType.a, at: time) }
        case .upstreamUDP?:
            guard let socket = upstreams.udp[id] else { return }
            for _ in 0..<64 {
                guard let n = Socket.receive(socket.fd, into: scratch) else { break }
                if n < 0 {
                    core.upstreamFailed(socket.upstream, transport: .udp, id: nil, at: time, into: &actions)
                    break
                }
                let bytes = [UInt8](UnsafeRawBufferPointer(rebasing: scratch[0..<n]))
                actions.append(core.receiveUpstream(bytes, from: socket.upstream, transport: .udp, at: time))
            }
        case .upstreamTCP?:
            switch upstreams.handleTCP(id, events: events, scratch: scratch) {
            case .waiting: break
            case .answer(let upstream, let bytes):
                actions.append(core.receiveUpstream(bytes, from: upstream, transport: .tcp, at: time))
            case .failed(let upstream, let queryID):
                core.upstreamFailed(upstream, transport: .tcp, id: queryID, at: time, into: &actions)
            }
        default:
            break
        }
        perform(at: time)
    }

    private func begin(_ request: Request, qtype: UInt16, at time: ProxyTime) {
        let id = nextID
        nextID += 1
        let handle = ClientHandle(transport: .udp, peer: request.client, local: local, channel: id)
        lookups[id] = Lookup(request: request, qtype: qtype, handle: handle)
        let query = DNSQueryBuilder.query(
            name: request.name, type: qtype, id: random.nextUInt16(), ednsUDPPayloadSize: 1232)
        actions.append(core.receiveQuery(query, from: handle, at: time))
    }

    private func perform(at time: ProxyTime) {
        var i = 0
        while i < actions.count {
            switch actions[i] {
            case .none: break
            case .respond(let client, let bytes): answer(client.channel, bytes, at: time)
            case .forward(let query):
                upstreams.forward(query, batched: false, core: &core, at: time, into: &actions)
            }
            i += 1
        }
        actions.removeAll(keepingCapacity: true)
        pendingRecords += core.takeRecords()
        flushRecords()
    }

    /// Records since the last flush: looked at for this lookup's block, then handed to the DNS log.
    private var pendingRecords: [DNSDecisionRecord] = []

    private func flushRecords() {
        guard !pendingRecords.isEmpty else { return }
        dnsLog?.write(pendingRecords)
        pendingRecords.removeAll(keepingCapacity: true)
    }

    /// The core answered a lookup: addresses, a refusal (from the DNS decision records), or a failure.
    private func answer(_ id: UInt64, _ bytes: [UInt8], at time: ProxyTime) {
        guard let lookup = lookups.removeValue(forKey: id) else { return }
        pendingRecords += core.takeRecords()
        let block = pendingRecords.last { record in
            record.client == lookup.handle.peer && record.action == .block
                && record.name?.wire == lookup.request.name.wire
        }
        if let block {
            lookup.request.reply(
                .refused(rule: block.rule ?? "dns", reason: block.basis?.reason ?? "refused by DNS policy"))
            return
        }
        guard case .success(let message) = DNSWireReader.parse(bytes.span) else {
            lookup.request.reply(.failed("unreadable DNS answer"))
            return
        }
        let rcode = message.rcode
        guard rcode == 0 else {
            lookup.request.reply(.failed("DNS answered \(DecisionFormat.rcodeName(rcode))"))
            return
        }
        let addresses = message.answerAddresses
        if !addresses.isEmpty {
            lookup.request.reply(.addresses(addresses, ttl: message.minAnswerTTL ?? 0))
        } else if lookup.qtype == DNSRecordType.a {
            begin(lookup.request, qtype: DNSRecordType.aaaa, at: time)
        } else {
            lookup.request.reply(.failed("no A or AAAA records"))
        }
    }
}
