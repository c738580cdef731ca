import AirlockEnforcement
import AirlockEngine
import AirlockEvents
import AirlockHTTPWire
import AirlockPolicy

extension ConnectionMachine {
    /// Parses the next request head and starts deciding it.
    mutating func readHead(_ input: inout [UInt8], now: ProxyTime) -> [ConnectionAction] {
        let head: HTTPRequestHead
        switch HTTPRequestParser.parse(input.span, limits: configuration.limits) {
        case .needMoreData:
            return []
        case .failure(let error):
            note(
                .parse, .block, now: now, rule: "http.parse.\(error.rawValue)", reason: error.description,
                kind: .policyDenial, status: error.status)
            state = .closed
            return [.sendClient(Self.errorResponse(status: error.status, reason: error.description)), .close]
        case .complete(let parsed):
            head = parsed
        }
        input.removeFirst(head.headLength)
        policy = context.policy
        let hasBody = head.framing != .none
        // A refused request with a body leaves the body unread: the connection cannot continue.
        let keepAfterRefusal = head.keepAlive && !hasBody

        // Identity: the client address selects a sandbox; a token may name it (and must, when required).
        let byAddress = policy.policy.sandbox(for: client.address)
        var sandbox = byAddress
        var identity = "address"
        // Redirected (transparent) clients cannot send proxy credentials: their address is their identity.
        if let key = configuration.tokenKey, originalDestination == nil {
            let credential = head.value(of: "proxy-authorization").flatMap(
                ProxyToken.credential(fromProxyAuthorization:))
            var failure: ProxyToken.Failure?
            if let credential {
                switch ProxyToken.verify(credential, key: key, now: now.wall.nanoseconds / 1_000_000_000) {
                case .failure(let why): failure = why
                case .success(let token):
                    if let named = policy.policy.sandbox(named: token.sandbox) {
                        if byAddress.name != nil && byAddress.name != named.name {
                            failure = .wrongSandbox(token: token.sandbox, address: byAddress.name ?? "")
                        } else if token.boundToSandboxAddresses && byAddress.name != named.name {
                            failure = .unboundAddress(sandbox: token.sandbox, address: client.address.description)
                        } else {
                            sandbox = named
                            identity = "token"
                        }
                    } else {
                        failure = .unknownSandbox(token.sandbox)
                    }
                }
            } else if configuration.requireToken {
                failure = .missing
            }
            if let failure, configuration.requireToken || credential != nil {
                note(
                    .identity, .block, now: now, rule: "http.proxy_token", reason: failure.description,
                    kind: .authentication, status: 407, sandbox: byAddress, identity: "address", head: head)
                let response = HTTPHeadWriter.response(
                    status: 407, reason: Self.statusText(407),
                    headers: [
                        HTTPHeader("Proxy-Authenticate", "Basic realm=\"airlock\""),
                        HTTPHeader("X-Airlock-Reason", failure.description),
                    ],
                    body: "Airlock: \(failure.description)\n", keepAlive: keepAfterRefusal)
                if !keepAfterRefusal { state = .closed }
                return keepAfterRefusal ? [.sendClient(response)] : [.sendClient(response), .close]
            }
        }

        // The target: a forward proxy serves absolute-form and CONNECT only.
        switch head.target {
        case .absolute(let authority, _):
            return startExchange(head, authority, sandbox, identity, keepAfterRefusal, now: now)
        case .authority(let authority):
            return startExchange(head, authority, sandbox, identity, keepAfterRefusal, now: now)
        case .origin where originalDestination != nil && head.hostHeader != nil:
            // Redirected plain HTTP: the Host header names the site; the port is where the client
            // really connected.
            let host = head.hostHeader!
            let authority = HTTPAuthority(
                host: host.host, port: originalDestination!.port, isIPv6Literal: host.isIPv6Literal)
            return startExchange(head, authority, sandbox, identity, keepAfterRefusal, now: now)
        case .origin, .asterisk:
            let reason = "not a proxy request: use an absolute URL (http://host/path) or CONNECT host:port"
            note(
                .parse, .block, now: now, rule: "http.parse.target_form", reason: reason, kind: .policyDenial,
                status: 400, sandbox: sandbox, identity: identity, head: head)
            if !keepAfterRefusal { state = .closed }
            let response = Self.errorResponse(status: 400, reason: reason, keepAlive: keepAfterRefusal)
            return keepAfterRefusal ? [.sendClient(response)] : [.sendClient(response), .close]
        }
    }

    /// Target checks and heuristics, then DNS (or, for an IP literal, the address checks).
    mutating func startExchange(
        _ head: HTTPRequestHead, _ authority: HTTPAuthority, _ sandbox: SandboxPolicy, _ identity: String,
        _ keepAfterRefusal: Bool, now: ProxyTime
    ) -> [ConnectionAction] {
        exchange = Exchange(
            head: head, authority: authority, sandbox: sandbox, identity: identity,
            ledgerKey: context.ledgerKey(sandbox: sandbox.name, host: authority.host))
        exchange?.started = now.monotonic
        let target = context.egressGuard.decideTarget(sandbox, host: authority.host, port: authority.port)
        if let refusal = judge(target, stage: .request, keepAlive: keepAfterRefusal, now: now) { return refusal }
        for decision in heuristics(head, sandbox, now: now) {
            if let refusal = judge(decision, stage: .request, keepAlive: keepAfterRefusal, now: now) { return refusal }
        }
        deadline = now.monotonic + Self.seconds(configuration.resolveTimeoutSeconds)
        if let address = IPAddress(authority.host) {
            return resolved(.addresses([address], ttl: 0), now: now)
        }
        guard let name = DNSName(authority.host) else {
            return fail(status: 400, stage: .request, reason: "'\(authority.host)' is not a host name", now: now)
        }
        state = .resolving
        return [.resolve(name)]
    }

    /// Logs a decision; returns the refusal to send when it blocks (nil to go on).
    mutating func judge(
        _ decision: EgressDecision, stage: HTTPDecisionRecord.Stage, keepAlive: Bool, now: ProxyTime
    ) -> [ConnectionAction]? {
        guard decision.deny else { return nil }
        if decision.mode == .report {
            note(stage, .wouldBlock, now: now, decision: decision)
            return nil
        }
        if decision.mode == .open { return nil }
        note(stage, .block, now: now, decision: decision, status: transparentTLS ? nil : 403)
        exchange = nil
        if transparentTLS {
            state = .closed
            return [.sendClient(Self.accessDeniedAlert), .close]
        }
        let response = Self.refusal(decision, keepAlive: keepAlive)
        if keepAlive {
            state = .idle
            deadline = now.monotonic + Self.seconds(configuration.keepAliveIdleSeconds)
            return [.sendClient(response)]
        }
        state = .closed
        return [.sendClient(response), .closeUpstream, .close]
    }

    /// The 403 for a refusal: the reason and rule in headers a client or log can read.
    static func refusal(_ decision: EgressDecision, keepAlive: Bool) -> [UInt8] {
        var headers = [
            HTTPHeader("X-Airlock-Reason", decision.reason), HTTPHeader("X-Airlock-Rule", decision.rule),
            HTTPHeader("X-Airlock-Kind", decision.kind.rawValue),
        ]
        if !decision.evidence.isEmpty {
            headers.append(
                HTTPHeader("X-Airlock-Evidence", decision.evidence.map(\.description).joined(separator: ", ")))
        }
        return HTTPHeadWriter.response(
            status: 403, reason: "Forbidden", headers: headers,
            body: "Airlock refused this request: \(decision.reason) (\(decision.rule))\n", keepAlive: keepAlive)
    }

    /// Request rate, high-entropy URL and header data, novel bytes of plain-HTTP heads, and the
    /// upload budget for a declared body.
    mutating func heuristics(_ head: HTTPRequestHead, _ sandbox: SandboxPolicy, now: ProxyTime) -> [EgressDecision] {
        guard let key = exchange?.ledgerKey, let host = exchange?.authority.host else { return [] }
        let budget = sandbox.http.uploadBudget
        let informationBudget = sandbox.http.informationBudget
        let tokens = configuration.entropy.tokens(of: head)
        // A CONNECT head goes no further than the proxy; a plain request's head reaches the destination.
        let lines = head.method == "CONNECT" ? nil : HeadLines.of(head, host: host)
        let declared: UInt64 = { if case .contentLength(let n) = head.framing { return n } else { return 0 } }()
        let (requests, entropy, uploaded, information) = context.ledger.withLock { ledger in
            let requests = ledger.countRequest(
                key, now: now.monotonic, windowSeconds: configuration.requestRateWindowSeconds)
            let entropy =
                tokens.isEmpty
                ? (total: 0.0, added: 0.0)
                : ledger.chargeEntropy(
                    key, tokens: tokens.map { ($0.hash, $0.bits) }, now: now.monotonic,
                    windowSeconds: budget.windowSeconds)
            let uploaded = ledger.uploaded(key, now: now.monotonic, windowSeconds: budget.windowSeconds)
            let information =
                lines.map {
                    ledger.chargeInformation(
                        key, head: $0, now: now.monotonic, windowSeconds: informationBudget.windowSeconds)
                } ?? (total: 0.0, added: 0.0)
            return (requests, entropy, uploaded, information)
        }
        var out: [EgressDecision] = []
        let destination = key.destination
        if requests > Double(configuration.requestRateLimit) {
            out.append(
                EgressDecision(
                    deny: true, mode: sandbox.mode, rule: "http.request_rate",
                    reason:
                        "\(Int(requests)) requests to \(destination) in \(configuration.requestRateWindowSeconds) s, "
                        + "more than the limit of \(configuration.requestRateLimit)",
                    kind: .detection,
                    evidence: [
                        Evidence(
                            feature: "requests", value: requests, threshold: Double(configuration.requestRateLimit),
                            contribution: 1)
                    ]))
        }
        if entropy.added > 0 && entropy.total > configuration.entropyBudgetBits {
            let strongest = tokens.max { $0.bits < $1.bits }
            let location =
                strongest.map { " (largest: \(Int($0.bits)) bits in \($0.location), \($0.features.shape.rawValue))" }
                ?? ""
            out.append(
                EgressDecision(
                    deny: true, mode: sandbox.mode, rule: "http.url_entropy",
                    reason:
                        "\(Int(entropy.total)) bits of distinct high-entropy URL and header data sent to \(destination) "
                        + "in \(budget.windowSeconds) s, more than \(Int(configuration.entropyBudgetBits))\(location)",
                    kind: .detection,
                    evidence: [
                        Evidence(
                            feature: "high_entropy_bits", value: entropy.total,
                            threshold: configuration.entropyBudgetBits, contribution: 1),
                        Evidence(
                            feature: "high_entropy_tokens", value: Double(tokens.count), threshold: 0, contribution: 0),
                    ]))
        }
        if information.added > 0 && information.total > Double(informationBudget.bytes) {
            out.append(
                EgressDecision(
                    deny: true, mode: sandbox.mode, rule: "http.information_budget",
                    reason:
                        "\(Int(information.total)) bytes of new information in request heads (paths, queries, "
                        + "fields) sent to \(destination) in \(informationBudget.windowSeconds) s, more than the "
                        + "information budget of \(informationBudget.bytes)",
                    kind: .budgetExhausted,
                    evidence: [
                        Evidence(
                            feature: "head_information_bytes", value: information.total,
                            threshold: Double(informationBudget.bytes), contribution: 1),
                        Evidence(feature: "head_new_bytes", value: information.added, threshold: 0, contribution: 0),
                    ]))
        }
        if declared > 0 && uploaded + Double(declared) > Double(budget.bytes) {
            out.append(uploadRefusal(destination, used: uploaded, adding: Double(declared), sandbox))
        }
        return out
    }

    func uploadRefusal(_ destination: String, used: Double, adding: Double, _ sandbox: SandboxPolicy) -> EgressDecision
    {
        let budget = sandbox.http.uploadBudget
        return EgressDecision(
            deny: true, mode: sandbox.mode, rule: "http.upload_budget",
            reason: "\(Int(used)) bytes already sent to \(destination) in the window; \(Int(adding)) more would pass "
                + "the upload budget of \(budget)",
            kind: .budgetExhausted,
            evidence: [
                Evidence(
                    feature: "upload_bytes", value: used + adding, threshold: Double(budget.bytes), contribution: 1)
            ])
    }

    // MARK: DNS and destination

    /// The DNS path answered: check each address, then go on to the upstream (HTTP) or the 200 (CONNECT).
    public mutating func resolved(_ outcome: ResolveOutcome, now: ProxyTime) -> [ConnectionAction] {
        guard state == .resolving || state == .idle, var ex = exchange else { return [] }
        let keepAlive = ex.head.keepAlive && ex.head.framing == .none
        switch outcome {
        case .refused(let rule, let reason):
            let decision = EgressDecision(
                deny: true, mode: ex.sandbox.mode, rule: rule,
                reason: "Airlock's DNS refused '\(ex.authority.host)': \(reason)",
                kind: rule.contains("quarantine") ? .detection : .policyDenial)
            if let refusal = judge(decision, stage: .dns, keepAlive: keepAlive, now: now) { return refusal }
            return fail(status: 502, stage: .dns, reason: "no address for '\(ex.authority.host)'", now: now)
        case .failed(let why):
            return fail(status: 502, stage: .dns, reason: "cannot resolve '\(ex.authority.host)': \(why)", now: now)
        case .addresses(let addresses, _):
            var allowed: [IPAddress] = []
            var firstRefusal: EgressDecision?
            for address in addresses {
                let decision = context.egressGuard.decideAddress(
                    ex.sandbox, address: address, port: ex.authority.port, ownHost: context.ownHost)
                if decision.deny {
                    if firstRefusal == nil { firstRefusal = decision }
                    if decision.mode != .enforce { allowed.append(address) }
                } else {
                    allowed.append(address)
                }
            }
            if allowed.isEmpty, let refusal = firstRefusal {
                return judge(refusal, stage: .destination, keepAlive: keepAlive, now: now)
                    ?? fail(
                        status: 502, stage: .destination, reason: "no usable address for '\(ex.authority.host)'",
                        now: now)
            }
            if let refusal = firstRefusal, refusal.mode == .report {
                note(.destination, .wouldBlock, now: now, decision: refusal)
            }
            guard !allowed.isEmpty else {
                return fail(status: 502, stage: .dns, reason: "no address for '\(ex.authority.host)'", now: now)
            }
            ex.destinations = allowed
            ex.destination = Endpoint(address: allowed[0], port: ex.authority.port)
            exchange = ex
            if ex.head.isConnect && transparentTLS {
                // Redirected TLS: the hello is already waiting in the input; no 200 to send.
                state = .awaitingHello
                deadline = now.monotonic + Self.seconds(configuration.helloTimeoutSeconds)
                return [.connect(ex.destination!)]
            }
            if ex.head.isConnect {
                // The TCP connect to the approved address overlaps the client's ClientHello; the
                // hello is checked before a single byte is sent on it (a refused tunnel is closed).
                state = .awaitingHello
                deadline = now.monotonic + Self.seconds(configuration.helloTimeoutSeconds)
                return [
                    .sendClient(Array("HTTP/1.1 200 Connection established\r\n\r\n".utf8)), .connect(ex.destination!),
                ]
            }
            note(.destination, .allow, now: now, rule: "http.allow", reason: "request allowed", kind: .routine)
            state = .connecting(index: 0)
            deadline = now.monotonic + Self.seconds(configuration.connectTimeoutSeconds)
            return [.connect(ex.destination!)]
        }
    }
}
