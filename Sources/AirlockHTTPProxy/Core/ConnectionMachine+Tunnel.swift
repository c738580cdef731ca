import AirlockEnforcement
import AirlockEvents
import AirlockHTTPWire
import AirlockTLSWire

extension ConnectionMachine {
    /// A fatal TLS alert (access_denied), so a client refused after the 200 sees a TLS error rather
    /// than a silent reset.
    static let accessDeniedAlert: [UInt8] = [0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x31]

    /// CONNECT: reads the ClientHello (it may come in pieces) and checks it before any upstream is contacted.
    mutating func readHello(_ input: inout [UInt8], now: ProxyTime) -> [ConnectionAction] {
        guard !input.isEmpty else { return [] }
        let parsed = ClientHelloParser.parse(input.span)
        if case .needMoreData = parsed { return [] }
        return decideHello(&input, parsed: parsed, now: now)
    }

    mutating func decideHello(_ input: inout [UInt8], parsed: ClientHelloParseResult, now: ProxyTime)
        -> [ConnectionAction]
    {
        guard var ex = exchange, let destination = ex.destination else { return [] }
        if case .clientHello(let hello) = parsed { ex.sni = hello.serverName?.hostName }
        // The connect was started before the hello arrived; judge it against the address in use.
        exchange = ex
        let decision = context.egressGuard.decideHello(
            ex.sandbox, connectHost: ex.authority.host, destination: destination, parsed: parsed)
        if decision.deny && decision.mode == .enforce {
            note(.tls, .block, now: now, decision: decision)
            exchange = nil
            state = .closed
            var actions: [ConnectionAction] = []
            if case .clientHello = parsed { actions.append(.sendClient(Self.accessDeniedAlert)) }
            return actions + [.close]
        }
        if decision.deny && decision.mode == .report { note(.tls, .wouldBlock, now: now, decision: decision) }
        if case .needMoreData = parsed {
            // Report mode and the hello never came: nothing to relay.
            endExchange(now: now, why: "no ClientHello before the timeout")
            state = .closed
            return [.close]
        }
        note(.tls, .allow, now: now, decision: decision)
        let hello = input
        input.removeAll(keepingCapacity: true)
        if ex.upstreamReady { return startTunnel(hello, now: now) }
        state = .helloConnecting(index: ex.destinationIndex, hello: hello)
        deadline = now.monotonic + Self.seconds(configuration.connectTimeoutSeconds)
        return []
    }

    /// The hello passed and the upstream is connected: send the hello, then relay untouched.
    mutating func startTunnel(_ hello: [UInt8], now: ProxyTime) -> [ConnectionAction] {
        guard var ex = exchange else { return [] }
        ex.bytesUp += hello.count
        exchange = ex
        let budget = ex.sandbox.http.uploadBudget
        _ = context.ledger.withLock {
            $0.chargeUpload(ex.ledgerKey, bytes: hello.count, now: now.monotonic, windowSeconds: budget.windowSeconds)
        }
        state = .tunnel
        tunnel = TunnelConstants(key: ex.ledgerKey, budget: budget, mode: ex.sandbox.mode)
        tunnelStarted = now.monotonic
        deadline = now.monotonic + Self.seconds(configuration.idleTimeoutSeconds)
        return [.sendUpstream(hello), .relay]
    }

    /// Bytes the server relayed in a tunnel since the last call. Upload counts against the budget;
    /// past it the tunnel is closed (enforce) or logged once (report).
    public mutating func tunnelTraffic(up: Int, down: Int, now: ProxyTime) -> [ConnectionAction] {
        // The relay's per-chunk path: plain counters and the tunnel's constants, never a copy of
        // the exchange (its head and sandbox policy would be retained and released per chunk).
        guard state == .tunnel, let tunnel = tunnel else { return [] }
        tunnelUp += up
        tunnelDown += down
        deadline = min(
            now.monotonic + Self.seconds(configuration.idleTimeoutSeconds),
            tunnelStarted + Self.seconds(configuration.tunnelMaxSeconds))
        guard up > 0 else { return [] }
        let total = context.ledger.withLock {
            $0.chargeUpload(tunnel.key, bytes: up, now: now.monotonic, windowSeconds: tunnel.budget.windowSeconds)
        }
        guard total > Double(tunnel.budget.bytes), tunnel.mode != .open, let sandbox = exchange?.sandbox else { return [] }
        let decision = uploadRefusal(tunnel.key.destination, used: total - Double(up), adding: Double(up), sandbox)
        if tunnel.mode == .report {
            if !tunnelBudgetReported {
                tunnelBudgetReported = true
                note(.transfer, .wouldBlock, now: now, decision: decision)
            }
            return []
        }
        note(.transfer, .block, now: now, decision: decision)
        endExchange(now: now, why: "upload budget exhausted")
        state = .closed
        return [.close]
    }

    /// A tunnel ended (either side closed, or an error).
    public mutating func tunnelEnded(now: ProxyTime, why: String) {
        guard state == .tunnel else { return }
        endExchange(now: now, why: why)
        state = .closed
    }
}
