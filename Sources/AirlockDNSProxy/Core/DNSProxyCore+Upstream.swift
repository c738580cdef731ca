import AirlockDNSWire
import AirlockEnforcement
import AirlockEngine
import AirlockEvents
import AirlockPipeline
import AirlockPolicy

extension DNSProxyCore {
    /// Handles bytes that arrived from an upstream. Anything that does not match a pending query
    /// exactly (upstream, transport, ID, question) is counted and dropped: a spoofed answer must not
    /// reach a client, and must not cancel the real one either.
    public mutating func receiveUpstream(
        _ bytes: [UInt8], from upstream: Endpoint, transport: Transport, at time: ProxyTime
    ) -> ProxyAction {
        var actions: [ProxyAction] = []
        receiveUpstreams([(bytes, upstream)], transport: transport, at: time, into: &actions)
        return actions.first ?? .none
    }

    /// Handles a batch of upstream answers (one `recvmmsg`), in order, with one acquisition of the
    /// shared inspection's lock for all the answers the engine must see; one action per answer.
    /// As for queries, the prepared answers live in buffers the core keeps and are read in place.
    public mutating func receiveUpstreams(
        _ answers: [(bytes: [UInt8], upstream: Endpoint)], transport: Transport, at time: ProxyTime,
        into actions: inout [ProxyAction]
    ) {
        var admitted: [PreparedAnswer] = []
        var verdicts: [Verdict?] = []
        swap(&admitted, &preparedAnswers)
        swap(&verdicts, &answerVerdicts)
        defer {
            admitted.removeAll(keepingCapacity: true)
            verdicts.removeAll(keepingCapacity: true)
            swap(&admitted, &preparedAnswers)
            swap(&verdicts, &answerVerdicts)
        }
        answers.withUnsafeBufferPointer { answers in
            for i in answers.indices {
                let answer = admitAnswer(answers[i].bytes, answers[i].upstream, transport, time, into: &admitted)
                if let answer { actions.append(answer) }
            }
        }
        guard !admitted.isEmpty else { return }
        admitted.withUnsafeBufferPointer { batch in
            shared.enforcer.withLock { state in
                for i in batch.indices {
                    verdicts.append(state.observe(response: batch[i].sent, origin: batch[i].reply))
                }
            }
            for i in batch.indices { actions.append(finishAnswer(batch, i, verdicts[i])) }
        }
    }

    /// An upstream answer matched and made ready for the client: what the engine is shown, and what
    /// the client gets.
    struct PreparedAnswer {
        var entry: PendingUpstreamQueries.Entry
        var context: SandboxContext
        var rebinding: PolicyDecision?
        var out: [UInt8]
        var sent: DNSMessage
        var time: ProxyTime
        var reply: MessageOrigin
    }

    /// An answer's handling before the engine: the action when it needs no engine (unmatched,
    /// retried), else nil with the answer appended to `admitted`.
    private mutating func admitAnswer(
        _ bytes: [UInt8], _ upstream: Endpoint, _ transport: Transport, _ time: ProxyTime,
        into admitted: inout [PreparedAnswer]
    ) -> ProxyAction? {
        guard case .success(var message) = DNSWireReader.parse(bytes.span) else {
            stats.upstreamMalformed += 1
            return ProxyAction.none
        }
        guard message.isResponse, let question = message.question else {
            stats.upstreamUnmatched += 1
            return ProxyAction.none
        }
        let key = PendingUpstreamQueries.Key(upstream: upstream, transport: transport, id: message.id)
        var entry: PendingUpstreamQueries.Entry
        switch pending.take(key, question: question) {
        case .none:
            stats.upstreamUnmatched += 1
            return ProxyAction.none
        case .otherQuestion:
            stats.upstreamMismatched += 1
            return ProxyAction.none
        case .entry(let waiting):
            entry = waiting
        }
        configuration.upstreamLatencyObserver?(Double(time.monotonic - entry.arrived) / 1e9)

        if message.flags.tc && transport == .udp && entry.client.transport == .tcp {
            // The client can take the whole answer: fetch it over TCP from the same upstream.
            stats.tcpFallbacks += 1
            return send(entry, transport: .tcp, at: time)
        }
        let rcode = message.rcode
        let failed =
            rcode == DNSResponseCode.servFail || rcode == DNSResponseCode.refused || rcode == DNSResponseCode.notImp
        if failed && entry.attempt + 1 < entry.maxAttempts {
            stats.retries += 1
            entry.attempt += 1
            return send(entry, transport: .udp, at: time)
        }

        let context = policy.context(for: entry.client.peer.address)
        if let cacheKey = entry.cacheKey { cache.insert(cacheKey, bytes: bytes, message: message, now: time.monotonic) }
        let rebinding = context.rebinding(message, name: entry.question.name)
        let blockRcode = context.blockRcode
        var out: [UInt8]
        var sent: DNSMessage
        if let rebinding, context.mode == .enforce {
            out = MessageEditing.response(
                to: entry.clientView.span, id: entry.clientID, rcode: blockRcode,
                extendedError: BlockBasis.rebinding(rebinding).extendedError(name: entry.question.name))
            sent = Self.parsedForEngine(out, question: entry.question)
            stats.rebindingBlocked += 1
        } else {
            out = bytes
            MessageEditing.setID(entry.clientID, in: &out)
            if let clientQuestion = entry.clientQuestion {
                MessageEditing.restoreQuestion(clientQuestion, in: &out, at: message.questionRange)
            }
            message.header.id = entry.clientID
            message.question = entry.question
            (out, sent) = fitted(out, message, limit: entry.udpLimit)
            if let observe = configuration.answerObserver {
                let addresses = sent.answerAddresses
                if !addresses.isEmpty { observe(entry.client.peer.address, addresses, sent.minAnswerTTL ?? 0) }
            }
        }
        let reply = MessageOrigin(
            time: time.wall, source: entry.client.local, destination: entry.client.peer,
            transport: entry.client.transport)
        admitted.append(
            PreparedAnswer(
                entry: entry, context: context, rebinding: rebinding, out: out, sent: sent, time: time, reply: reply))
        return nil
    }

    /// After the engine saw the answer: what it tipped, noted; the answer to the client.
    /// The answer at `index` of the batch is read where it lies (passed as a value, even a borrowed
    /// one, it was copied out of the buffer).
    private mutating func finishAnswer(
        _ batch: UnsafeBufferPointer<PreparedAnswer>, _ index: Int, _ verdict: Verdict?
    ) -> ProxyAction {
        if batch[index].rebinding != nil || verdict != nil {
            let context = batch[index].context, time = batch[index].time, client = batch[index].entry.client
            let event = eventStub(batch[index].entry, time, context)
            if let rebinding = batch[index].rebinding {
                noteRebinding(rebinding, context, event, client, time, cached: false, rcode: context.blockRcode)
            }
            if let verdict { noteAnswerVerdict(verdict, event, client, time, context) }
        }
        return .respond(batch[index].entry.client, batch[index].out)
    }

    /// An upstream could not be reached: a TCP connection for query `id` failed, or (with `id` nil)
    /// a UDP socket reported the upstream unreachable (ICMP), which fails every query waiting on it
    /// at once instead of letting each time out.
    public mutating func upstreamFailed(
        _ upstream: Endpoint, transport: Transport, id: UInt16?, at time: ProxyTime, into actions: inout [ProxyAction]
    ) {
        let failed: [(PendingUpstreamQueries.Key, PendingUpstreamQueries.Entry)]
        if let id {
            let key = PendingUpstreamQueries.Key(upstream: upstream, transport: transport, id: id)
            failed = pending.remove(key).map { [(key, $0)] } ?? []
        } else {
            failed = pending.removeAll(upstream: upstream, transport: transport)
        }
        for (_, entry) in failed {
            stats.upstreamUnreachable += 1
            actions.append(retryOrFail(entry, at: time, why: "\(upstream) (\(transport.rawValue)) unreachable"))
        }
    }

    /// Retries or fails every query whose upstream deadline has passed.
    public mutating func expire(at time: ProxyTime, into actions: inout [ProxyAction]) {
        for (key, entry) in pending.expired(now: time.monotonic) {
            stats.upstreamTimeouts += 1
            let waited = (time.monotonic - entry.arrived) / 1_000_000
            actions.append(
                retryOrFail(
                    entry, at: time,
                    why: "no answer from \(key.upstream) (\(key.transport.rawValue)); \(waited) ms since the query"))
        }
    }

    /// The next upstream if attempts are left, else SERVFAIL to the client (shown to the engine too).
    mutating func retryOrFail(
        _ entry: consuming PendingUpstreamQueries.Entry, at time: ProxyTime, why: String
    ) -> ProxyAction {
        if entry.attempt + 1 < entry.maxAttempts {
            stats.retries += 1
            entry.attempt += 1
            return send(entry, transport: .udp, at: time)
        }
        stats.servfail += 1
        let out = MessageEditing.response(
            to: entry.clientView.span, id: entry.clientID, rcode: DNSResponseCode.servFail)
        let sent = Self.parsedForEngine(out, question: entry.question)
        let reply = MessageOrigin(
            time: time.wall, source: entry.client.local, destination: entry.client.peer,
            transport: entry.client.transport)
        let verdict = shared.enforcer.withLock { $0.observe(response: sent, origin: reply) }
        let context = policy.context(for: entry.client.peer.address)
        let event = eventStub(entry, time, context)
        note(
            answerRecord(
                event, entry.client, time, context, .servfail,
                detail: "all \(entry.maxAttempts) attempts failed; last: \(why)", rcode: DNSResponseCode.servFail))
        if let verdict { noteAnswerVerdict(verdict, event, entry.client, time, context) }
        return .respond(entry.client, out)
    }

    /// The pipeline's view of an answer the proxy built: parsed back, with the client's question
    /// (its case flag included) so it pairs with the query the pipeline saw.
    static func parsedForEngine(_ bytes: [UInt8], question: DNSQuestion) -> DNSMessage {
        switch DNSWireReader.parse(bytes.span) {
        case .success(var message):
            message.question = question
            return message
        case .failure:
            return DNSMessage(
                header: DNSHeader(id: 0, flags: DNSFlags(qr: true, rcode: DNSResponseCode.servFail)),
                question: question,
                questionRange: nil, answers: DNSAnswerSummary(), payloadBytes: 0, minAnswerTTL: nil, edns: nil,
                byteCount: bytes.count, trailingBytes: 0)
        }
    }
}
