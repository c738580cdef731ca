import AirlockEnforcement
import AirlockEvents
import AirlockHTTPWire

extension ConnectionMachine {
    /// The upstream TCP connection is up.
    public mutating func upstreamConnected(now: ProxyTime) -> [ConnectionAction] {
        guard var ex = exchange else { return [] }
        switch state {
        case .awaitingHello:
            ex.upstreamReady = true
            exchange = ex
            return []
        case .helloConnecting(_, let hello):
            return startTunnel(hello, now: now)
        case .connecting:
            let head = HTTPHeadWriter.forwardedRequest(ex.head, authority: ex.authority, keepAlive: false)
            switch ex.head.framing {
            case .contentLength(let n):
                ex.bodyRemaining = n
                state = .sendingBody
            case .chunked:
                ex.bodyDecoder = ChunkedBodyDecoder(limits: configuration.limits)
                state = .sendingBody
            case .none, .untilClose:
                state = .awaitingResponse
            }
            exchange = ex
            deadline = now.monotonic + Self.seconds(configuration.idleTimeoutSeconds)
            return [.sendUpstream(head)]
        default:
            return []
        }
    }

    /// The upstream connect failed: the next allowed address, else 502 (or a close after CONNECT's 200).
    public mutating func upstreamFailed(reason: String, now: ProxyTime) -> [ConnectionAction] {
        switch state {
        case .connecting(let index): return upstreamFailed(reason: reason, index: index, now: now)
        case .helloConnecting(let index, _): return upstreamFailed(reason: reason, index: index, now: now)
        case .awaitingHello: return upstreamFailed(reason: reason, index: exchange?.destinationIndex ?? 0, now: now)
        case .closed, .idle: return []
        default:
            return upstreamClosed(now: now)
        }
    }

    mutating func upstreamFailed(reason: String, index: Int, now: ProxyTime) -> [ConnectionAction] {
        guard var ex = exchange else { return [] }
        let next = index + 1
        if next < ex.destinations.count {
            ex.destination = Endpoint(address: ex.destinations[next], port: ex.authority.port)
            ex.destinationIndex = next
            ex.upstreamReady = false
            exchange = ex
            if case .helloConnecting(_, let hello) = state {
                state = .helloConnecting(index: next, hello: hello)
            } else if state != .awaitingHello {
                state = .connecting(index: next)
            }
            deadline = now.monotonic + Self.seconds(configuration.connectTimeoutSeconds)
            return [.closeUpstream, .connect(ex.destination!)]
        }
        let target = ex.destination?.description ?? ex.authority.description
        return fail(status: 502, stage: .upstream, reason: "cannot connect to \(target): \(reason)", now: now)
    }

    /// Forwards request body bytes (exactly the body: pipelined bytes after it stay in `input`).
    mutating func forwardBody(_ input: inout [UInt8], now: ProxyTime) -> [ConnectionAction] {
        guard var ex = exchange, !input.isEmpty else { return [] }
        var take = 0
        var finished = false
        if var decoder = ex.bodyDecoder {
            switch decoder.consume(input.span) {
            case .needMoreData: take = input.count
            case .done(let consumed):
                take = consumed
                finished = true
            case .failure(let error):
                return fail(status: 400, stage: .parse, reason: "request body: \(error.description)", now: now)
            }
            ex.bodyDecoder = decoder
        } else {
            take = Int(min(ex.bodyRemaining, UInt64(input.count)))
            ex.bodyRemaining -= UInt64(take)
            finished = ex.bodyRemaining == 0
        }
        let chunk = Array(input[..<take])
        input.removeFirst(take)
        ex.bytesUp += take
        exchange = ex
        var actions: [ConnectionAction] = [.sendUpstream(chunk)]
        let budget = ex.sandbox.http.uploadBudget
        let total = context.ledger.withLock {
            $0.chargeUpload(ex.ledgerKey, bytes: take, now: now.monotonic, windowSeconds: budget.windowSeconds)
        }
        if total > Double(budget.bytes) && ex.sandbox.mode != .open && !ex.budgetReported {
            let decision = uploadRefusal(
                ex.ledgerKey.destination, used: total - Double(take), adding: Double(take), ex.sandbox)
            if ex.sandbox.mode == .enforce {
                note(.transfer, .block, now: now, decision: decision, status: 403)
                exchange = nil
                state = .closed
                return [.closeUpstream, .sendClient(Self.refusal(decision, keepAlive: false)), .close]
            }
            ex.budgetReported = true
            exchange = ex
            note(.transfer, .wouldBlock, now: now, decision: decision)
        }
        deadline = now.monotonic + Self.seconds(configuration.idleTimeoutSeconds)
        if finished { state = .awaitingResponse }
        actions.reserveCapacity(1)
        return actions
    }

    /// Bytes from the upstream: the response head (interim ones relayed as they come), then its body.
    public mutating func upstreamData(_ input: inout [UInt8], now: ProxyTime) -> [ConnectionAction] {
        var actions: [ConnectionAction] = []
        for _ in 0..<16 {
            guard !input.isEmpty, var ex = exchange else { return actions }
            deadline = now.monotonic + Self.seconds(configuration.idleTimeoutSeconds)
            switch state {
            case .awaitingResponse, .sendingBody:
                let head: HTTPResponseHead
                switch HTTPResponseParser.parse(input.span, requestMethod: ex.head.method, limits: configuration.limits)
                {
                case .needMoreData: return actions
                case .failure(let error):
                    return actions
                        + fail(
                            status: 502, stage: .upstream, reason: "upstream response: \(error.description)", now: now)
                case .complete(let parsed): head = parsed
                }
                input.removeFirst(head.headLength)
                if head.status == 101 {
                    return actions
                        + fail(
                            status: 502, stage: .upstream, reason: "upstream switched protocols, which is not relayed",
                            now: now)
                }
                let keepAlive = ex.head.keepAlive && !clientDone && head.framing != .untilClose
                actions.append(.sendClient(HTTPHeadWriter.relayedResponse(head, keepAlive: keepAlive)))
                ex.responseStarted = true
                if head.isInterim {
                    exchange = ex
                    continue
                }
                ex.response = head
                switch head.framing {
                case .contentLength(let n): ex.responseRemaining = n
                case .chunked: ex.responseDecoder = ChunkedBodyDecoder(limits: configuration.limits)
                default: break
                }
                exchange = ex
                if state == .sendingBody {
                    // The server answered before the body was sent (an early error): stop sending it.
                    ex.head.keepAlive = false
                    exchange = ex
                }
                state = .responseBody
                if head.framing == .none { return actions + finishResponse(now: now) }
            case .responseBody:
                guard let response = ex.response else { return actions }
                var take = input.count
                var finished = false
                switch response.framing {
                case .contentLength:
                    take = Int(min(ex.responseRemaining, UInt64(input.count)))
                    ex.responseRemaining -= UInt64(take)
                    finished = ex.responseRemaining == 0
                case .chunked:
                    guard var decoder = ex.responseDecoder else { return actions }
                    switch decoder.consume(input.span) {
                    case .needMoreData: break
                    case .done(let consumed):
                        take = consumed
                        finished = true
                    case .failure(let error):
                        endExchange(now: now, why: "upstream response body: \(error.description)")
                        state = .closed
                        return actions + [.closeUpstream, .close]
                    }
                    ex.responseDecoder = decoder
                default:
                    break
                }
                ex.bytesDown += take
                exchange = ex
                actions.append(.sendClient(Array(input[..<take])))
                input.removeFirst(take)
                if finished { return actions + finishResponse(now: now) }
            default:
                return actions
            }
        }
        return actions
    }

    /// The upstream closed its side.
    public mutating func upstreamClosed(now: ProxyTime) -> [ConnectionAction] {
        switch state {
        case .responseBody:
            if exchange?.response?.framing == .untilClose {
                return finishResponse(now: now)
            }
            endExchange(now: now, why: "upstream closed before the end of the response")
            state = .closed
            return [.close]
        case .awaitingResponse, .sendingBody:
            return fail(
                status: 502, stage: .upstream, reason: "upstream closed the connection without a response", now: now)
        case .connecting(let index):
            return upstreamFailed(reason: "connection closed", index: index, now: now)
        case .helloConnecting(let index, _):
            return upstreamFailed(reason: "connection closed", index: index, now: now)
        case .awaitingHello:
            return upstreamFailed(reason: "connection closed", index: exchange?.destinationIndex ?? 0, now: now)
        default:
            return []
        }
    }

    /// The response is complete: keep the client connection for the next request, or close.
    mutating func finishResponse(now: ProxyTime) -> [ConnectionAction] {
        guard let ex = exchange else { return [] }
        let keepAlive = ex.head.keepAlive && !clientDone && ex.response?.framing != .untilClose
        if configuration.logLevel == .all {
            note(
                .transfer, .end, now: now, rule: "http.transfer", reason: "response \(ex.response?.status ?? 0) relayed"
            )
        }
        exchange = nil
        if keepAlive {
            state = .idle
            deadline = now.monotonic + Self.seconds(configuration.keepAliveIdleSeconds)
            return [.closeUpstream]
        }
        state = .closed
        return [.closeUpstream, .close]
    }
}
