import AirlockDNSWire
import AirlockEnforcement
import AirlockEngine
import AirlockEvents
import AirlockPipeline
import AirlockPolicy
import AirlockSystem

/// The DNS proxy's protocol logic, without sockets: bytes, endpoints and times in, actions out.
///
/// One per worker thread (its pending queries, IDs and cache are its own); the engine, quarantines
/// and budgets are shared through ``SharedInspection``. The server turns each ``ProxyAction`` into a
/// send; tests drive the core directly with byte arrays and fake times.
///
/// For every query, in order: parse (bad bytes → FORMERR or drop, counted by reason) → sandbox by
/// client address → list/type decision → engine + quarantine + leak budget (one short lock) → block
/// answer, cached answer, or a forward: a query written anew (``UpstreamQueryWriter``: the question
/// in lower case, a clean OPT record, nothing else) with a fresh random ID. For every upstream
/// answer: match by upstream, transport, ID and question → TCP retry on truncation (TCP clients) or
/// next upstream on SERVFAIL/REFUSED → rebinding check → cache → the client's ID and question case
/// back → client. Every answer the proxy sends is shown to the engine as the client sees it, so a
/// capture of the client side replays to the same verdicts.
public struct DNSProxyCore {
    public let configuration: ProxyConfiguration
    let shared: SharedInspection
    public private(set) var policy: PolicySnapshot
    private var generation: Int
    var pending = PendingUpstreamQueries()
    var cache: PacketCache
    var random = RandomPool()
    var roundRobin = 0
    public internal(set) var stats = ProxyStats()
    /// Decisions made since the last ``takeRecords()``, as the log level keeps them.
    public internal(set) var records: [DNSDecisionRecord] = []
    /// Buffers ``receiveQueries(_:at:into:)`` and ``receiveUpstreams(_:transport:at:into:)`` reuse
    /// from batch to batch (empty between batches).
    var preparedQueries: [PreparedQuery] = []
    var queryJudgements: [QueryJudgement] = []
    var queryVerdicts: [Verdict?] = []
    var preparedAnswers: [PreparedAnswer] = []
    var answerVerdicts: [Verdict?] = []

    public init(configuration: ProxyConfiguration, shared: SharedInspection) {
        self.configuration = configuration
        self.shared = shared
        self.generation = shared.policies.generation.load(ordering: .acquiring)
        self.policy = shared.policy
        self.cache = PacketCache(
            capacity: configuration.cacheEntries, maxTTL: configuration.maxCacheTTL,
            maxNegativeTTL: configuration.maxNegativeTTL)
        records.reserveCapacity(256)
    }

    /// Queries waiting for an upstream.
    public var pendingCount: Int { pending.count }

    /// Takes up a reloaded policy: one atomic load when nothing changed.
    public mutating func refreshPolicy() {
        let current = shared.policies.generation.load(ordering: .acquiring)
        guard current != generation else { return }
        policy = shared.policy
        generation = current
    }

    /// Hands over the decisions made since the last call.
    ///
    /// The core's buffer goes to the caller and the core starts an empty one: copying it and then
    /// emptying it "keeping capacity" allocated a fresh 256-record buffer (~150 KB) per call, since
    /// the copy still shared the old one. Callers that take records for every batch use
    /// ``takeRecords(into:)``, which allocates nothing.
    public mutating func takeRecords() -> [DNSDecisionRecord] {
        guard !records.isEmpty else { return [] }
        var out: [DNSDecisionRecord] = []
        swap(&out, &records)
        return out
    }

    /// Hands over the decisions made since the last call by trading buffers with `buffer`: it is
    /// emptied (capacity kept) and becomes the core's, and the core's records are left in it. Two
    /// buffers alternate, so a worker logging every batch allocates none.
    public mutating func takeRecords(into buffer: inout [DNSDecisionRecord]) {
        buffer.removeAll(keepingCapacity: true)
        swap(&records, &buffer)
    }

    /// The monotonic time of the earliest upstream deadline, if any query is waiting.
    public mutating func nextDeadline() -> Int64? { pending.nextDeadline() }

    // MARK: Queries from clients

    /// Handles one query from a client. `oversized` says the datagram did not fit the receive buffer.
    public mutating func receiveQuery(
        _ bytes: [UInt8], from client: ClientHandle, at time: ProxyTime, oversized: Bool = false
    ) -> ProxyAction {
        var actions: [ProxyAction] = []
        receiveQueries([IncomingQuery(bytes: bytes, client: client, oversized: oversized)], at: time, into: &actions)
        return actions.first ?? .none
    }

    /// Handles a batch of queries (one `recvmmsg`), in order, with one acquisition of the shared
    /// inspection's lock for all of them: the engine sees them in the same order as one by one, and
    /// the workers contend once per batch instead of once per query. Queries answered before the
    /// engine (malformed, NOTIMP, BADVERS) get their actions first. Exactly one action per query.
    ///
    /// Everything but the engine runs outside the lock: parsing, the policy's list decision and the
    /// cache before it (``prepare``), the records and the answer or forward after it (``finish``).
    /// The prepared queries, the engine's judgements and the verdicts on the answers made here live
    /// in buffers the core keeps from batch to batch, and are read where they lie (fields projected
    /// from the buffers, never the whole value copied out): a prepared query is ~1 KB with a dozen
    /// references and a judgement carries the event and the assessment; copying them in and out of
    /// enums, `map` and `zip` was ~5 % of the proxy's CPU in retain/release and `memcpy`.
    public mutating func receiveQueries(
        _ queries: [IncomingQuery], at time: ProxyTime, into actions: inout [ProxyAction]
    ) {
        var admitted: [PreparedQuery] = []
        var judgements: [QueryJudgement] = []
        var verdicts: [Verdict?] = []
        swap(&admitted, &preparedQueries)
        swap(&judgements, &queryJudgements)
        swap(&verdicts, &queryVerdicts)
        defer {
            admitted.removeAll(keepingCapacity: true)
            judgements.removeAll(keepingCapacity: true)
            verdicts.removeAll(keepingCapacity: true)
            swap(&admitted, &preparedQueries)
            swap(&judgements, &queryJudgements)
            swap(&verdicts, &queryVerdicts)
        }
        queries.withUnsafeBufferPointer { queries in
            for i in queries.indices {
                if let answered = admit(queries[i], time, into: &admitted) { actions.append(answered) }
            }
        }
        guard !admitted.isEmpty else { return }
        admitted.withUnsafeBufferPointer { batch in
            // A query the pipeline found no question in has no judgement (it gets FORMERR): the
            // judgements are the others', in the batch's order.
            var unjudged: [Int] = []
            shared.enforcer.withLock { state in
                for i in batch.indices {
                    let judged = state.inspect(
                        batch[i].message, origin: batch[i].origin, reply: batch[i].reply, context: batch[i].context,
                        decision: batch[i].decision, cachedBlocked: batch[i].cachedBlocked,
                        cached: batch[i].cached?.message, into: &judgements, &verdicts)
                    if !judged { unjudged.append(i) }
                }
            }
            var slot = 0
            judgements.withUnsafeBufferPointer { judgements in
                for i in batch.indices {
                    if !unjudged.isEmpty && unjudged.contains(i) {
                        actions.append(
                            badPacket(
                                batch[i].bytes, batch[i].client, batch[i].time, reason: "question_count",
                                detail: "no question"))
                        continue
                    }
                    actions.append(finish(batch, i, judgements, slot, verdicts[slot]))
                    slot += 1
                }
            }
        }
    }

    /// A query's checks before the engine: the action when it is answered at once, else nil with the
    /// query appended to `admitted`, ready for the shared inspection.
    private mutating func admit(
        _ query: borrowing IncomingQuery, _ time: ProxyTime, into admitted: inout [PreparedQuery]
    ) -> ProxyAction? {
        let bytes = query.bytes, client = query.client, oversized = query.oversized
        stats.queries += 1
        if oversized || (client.transport == .udp && bytes.count > configuration.maxUDPQueryBytes) {
            return badPacket(bytes, client, time, reason: "oversized", detail: "oversized: \(bytes.count) bytes")
        }
        let message: DNSMessage
        switch DNSWireReader.parse(bytes.span) {
        case .success(let parsed): message = parsed
        case .failure(let error):
            return badPacket(bytes, client, time, reason: error.reason, detail: error.description)
        }
        if message.isResponse {
            stats.malformed["response_as_query", default: 0] += 1
            stats.dropped += 1
            note(packetRecord(client, time, .drop, detail: "a response sent as a query"))
            return ProxyAction.none
        }
        if message.flags.opcode != 0 {
            stats.notimp += 1
            note(
                packetRecord(
                    client, time, .notimp, detail: "opcode \(message.flags.opcode)", rcode: DNSResponseCode.notImp))
            return .respond(
                client, MessageEditing.response(to: bytes.span, id: message.id, rcode: DNSResponseCode.notImp))
        }
        guard message.questionCount == 1, let question = message.question else {
            return badPacket(
                bytes, client, time, reason: "question_count", detail: "\(message.questionCount) questions")
        }
        // A query is a question: records beside it (answer, authority, additional other than OPT)
        // have no meaning in one, and would be room for data.
        let records = message.additionalCount - (message.edns == nil ? 0 : 1)
        if message.answerCount + message.authorityCount + records > 0 {
            return badPacket(
                bytes, client, time, reason: "records_in_query",
                detail:
                    "a query carrying records: \(message.answerCount) answer, \(message.authorityCount) authority, "
                    + "\(records) additional")
        }
        if let edns = message.edns, edns.version > 0 {
            // RFC 6891 §6.1.3: the proxy speaks EDNS version 0 only; it answers for itself.
            stats.badVersion += 1
            let detail = "EDNS version \(edns.version)"
            note(packetRecord(client, time, .notimp, detail: detail, rcode: DNSResponseBuilder.badVersion))
            return .respond(
                client, MessageEditing.response(to: bytes.span, id: message.id, rcode: DNSResponseBuilder.badVersion))
        }
        admitted.append(prepare(message, question, bytes, client, time))
        return nil
    }

    /// Everything before the engine: the policy's list/type decision, what the upstream query will
    /// leave out, and the cache (this worker's own, so looked up before the lock; the answer the client
    /// will get is then known inside it and shown to the engine in the same critical section).
    private mutating func prepare(
        _ message: DNSMessage, _ question: DNSQuestion, _ bytes: [UInt8], _ client: ClientHandle, _ time: ProxyTime
    ) -> PreparedQuery {
        let context = policy.context(for: client.peer.address)
        let decision = context.decideDNS(name: question.name, qtype: question.type)
        let stripped = UpstreamQueryWriter.stripped(bytes, message)
        if !stripped.isEmpty { stats.countStripped(stripped) }
        let udpLimit = client.transport == .udp ? MessageEditing.udpLimit(of: message) : 65_535

        let cacheKey =
            cache.isEnabled
            ? PacketCache.Key(question: question, message: message, upstreamGroup: context.upstreamGroup) : nil
        var cached: (bytes: [UInt8], message: DNSMessage)?
        var cachedRebinding: PolicyDecision?
        if let cacheKey, let entry = cache.lookup(cacheKey, now: time.monotonic) {
            cachedRebinding = context.rebinding(entry.message, name: question.name)
            if cachedRebinding == nil || context.mode != .enforce {
                let answer = PacketCache.answer(
                    entry, id: message.id, query: bytes.span, queryQuestion: message.questionRange, now: time.monotonic)
                var sent = entry.message
                sent.header.id = message.id
                sent.question = question
                sent.minAnswerTTL = answer.minTTL
                cached = fitted(answer.bytes, sent, limit: udpLimit)
            }
        }
        return PreparedQuery(
            message: message, question: question, bytes: bytes, client: client, time: time, context: context,
            decision: decision, stripped: stripped, udpLimit: udpLimit, cacheKey: cacheKey, cached: cached,
            cachedRebinding: cachedRebinding, cachedBlocked: cachedRebinding != nil && context.mode == .enforce)
    }

    /// Everything after the engine: counters, the decision record, and the answer or the forward,
    /// for the query at `index` of the batch.
    ///
    /// Its fields, and those of its judgement (`judgements[slot]`), are read where they lie in the
    /// batch's buffers: passing either as a value, even a borrowed one, copied all of it out of the
    /// buffer (the prepared query ~1.3 k instructions a query; the judgement, whose optionals are
    /// copied through generic value witnesses, more).
    private mutating func finish(
        _ batch: UnsafeBufferPointer<PreparedQuery>, _ index: Int, _ judgements: UnsafeBufferPointer<QueryJudgement>,
        _ slot: Int, _ answerVerdict: Verdict?
    ) -> ProxyAction {
        let question = batch[index].question, bytes = batch[index].bytes
        let client = batch[index].client, time = batch[index].time, context = batch[index].context
        let stripped = batch[index].stripped, udpLimit = batch[index].udpLimit, cacheKey = batch[index].cacheKey
        let cachedRebinding = batch[index].cachedRebinding
        let cachedBlocked = batch[index].cachedBlocked
        let blockRcode = context.blockRcode
        // QueryJudgement.blocks and .wouldBlock, from the stored fields (a computed property of
        // the judgement would take a copy of it).
        let block = judgements[slot].block, mode = judgements[slot].mode
        let judgementBlocks = block != nil && mode == .enforce
        let judgementWouldBlock = block != nil && mode == .report

        let blocks = judgementBlocks || cachedBlocked
        if judgementBlocks {
            stats.blocked += 1
        } else if judgementWouldBlock {
            stats.wouldBlock += 1
        }
        let refused = block != nil && mode != .open
        let quiet =
            !refused && judgements[slot].assessment.verdict == nil && !judgements[slot].quarantineStarted
            && !stripped.isUnusual
        if configuration.logLevel == .all || (configuration.logLevel == .notable && !quiet) {
            var record = queryRecord(judgements[slot], client, time)
            if !stripped.isEmpty { record.stripped = stripped }
            if judgementBlocks {
                record.rcode = block?.responseCode(default: blockRcode) ?? blockRcode
            } else if let rcode = batch[index].cached?.message.rcode {
                // Read through the optional where it lies: `if let` copied the answer and its message.
                record.cached = true
                record.rcode = rcode
            }
            note(record)
        }
        if let rebinding = cachedRebinding, !judgementBlocks {
            noteRebinding(rebinding, context, judgements[slot].event, client, time, cached: true, rcode: blockRcode)
        }
        if let answerVerdict { noteAnswerVerdict(answerVerdict, judgements[slot].event, client, time, context) }

        if blocks {
            // RFC 8914: the answer names the rule, so a block never passes for the zone's own NXDOMAIN.
            let basis = judgementBlocks ? block : cachedRebinding.map(BlockBasis.rebinding)
            return .respond(
                client,
                MessageEditing.response(
                    to: bytes.span, id: batch[index].message.id,
                    rcode: judgementBlocks ? block?.responseCode(default: blockRcode) ?? blockRcode : blockRcode,
                    extendedError: basis?.extendedError(name: question.name)))
        }
        if let cachedBytes = batch[index].cached?.bytes {
            stats.cacheHits += 1
            if let observe = configuration.answerObserver, let message = batch[index].cached?.message {
                let addresses = message.answerAddresses
                if !addresses.isEmpty { observe(client.peer.address, addresses, message.minAnswerTTL ?? 0) }
            }
            return .respond(client, cachedBytes)
        }
        guard pending.count < configuration.maxPendingPerWorker else {
            stats.overloaded += 1
            stats.servfail += 1
            note(
                answerRecord(
                    judgements[slot].event, client, time, context, .servfail,
                    detail: "too many queries waiting for upstreams", rcode: DNSResponseCode.servFail))
            let id = batch[index].message.id
            return .respond(client, MessageEditing.response(to: bytes.span, id: id, rcode: DNSResponseCode.servFail))
        }
        stats.forwarded += 1
        roundRobin &+= 1
        let entry = PendingUpstreamQueries.Entry(
            client: client, clientID: batch[index].message.id,
            query: UpstreamQueryWriter.query(batch[index].message, question),
            clientQuestion: UpstreamQueryWriter.clientCase(bytes, batch[index].message, stripped), question: question,
            domain: judgements[slot].event.domain,
            udpLimit: udpLimit,
            upstreams: context.upstreams, firstUpstream: roundRobin % context.upstreams.count, attempt: 0,
            maxAttempts: context.maxAttempts, timeoutNanoseconds: context.timeoutNanoseconds, cacheKey: cacheKey,
            arrived: time.monotonic)
        return send(entry, transport: .udp, at: time)
    }

    /// Sends (or resends) a pending query to its current upstream with a fresh random ID.
    /// The entry is consumed (moved into the pending table, not copied: it holds a dozen references).
    mutating func send(
        _ entry: consuming PendingUpstreamQueries.Entry, transport: Transport, at time: ProxyTime
    ) -> ProxyAction {
        let upstream = entry.currentUpstream
        var key = PendingUpstreamQueries.Key(upstream: upstream, transport: transport, id: random.nextUInt16())
        while pending.contains(key) { key.id = random.nextUInt16() }
        MessageEditing.setID(key.id, in: &entry.query)
        let bytes = entry.query
        let deadline = time.monotonic + entry.timeoutNanoseconds
        pending.insert(key, entry, deadline: deadline)
        return .forward(UpstreamQuery(upstream: upstream, transport: transport, id: key.id, bytes: bytes))
    }

    /// A full answer, or its truncated form when a UDP client's buffer is too small for it.
    mutating func fitted(_ bytes: [UInt8], _ message: DNSMessage, limit: Int) -> (bytes: [UInt8], message: DNSMessage) {
        guard bytes.count > limit else { return (bytes, message) }
        stats.truncatedToClient += 1
        let short = MessageEditing.truncated(bytes.span, message: message)
        guard case .success(var parsed) = DNSWireReader.parse(short.span) else { return (short, message) }
        parsed.question = message.question
        return (short, parsed)
    }

    private mutating func badPacket(
        _ bytes: [UInt8], _ client: ClientHandle, _ time: ProxyTime, reason: String, detail: String
    ) -> ProxyAction {
        stats.malformed[reason, default: 0] += 1
        // A header that is there and says "query" gets FORMERR; anything else is not worth an answer
        // (answering responses or noise would make the proxy a reflector).
        guard bytes.count >= DNSHeader.byteCount, bytes[2] & 0x80 == 0 else {
            stats.dropped += 1
            note(packetRecord(client, time, .drop, detail: detail))
            return .none
        }
        stats.formerr += 1
        note(packetRecord(client, time, .formerr, detail: detail, rcode: DNSResponseCode.formErr))
        return .respond(client, DNSResponseBuilder.formatError(to: bytes.span))
    }
}
