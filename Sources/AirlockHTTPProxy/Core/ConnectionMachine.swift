import AirlockEnforcement
import AirlockEngine
import AirlockEvents
import AirlockHTTPWire
import AirlockPolicy
import AirlockTLSWire

/// One client connection's protocol logic, without sockets: bytes and events in, actions out.
///
/// The server owns the descriptors and the input buffers; it calls the machine with what happened
/// (bytes from the client or the upstream, a resolved name, a finished connect, a tick) and does
/// what the returned ``ConnectionAction``s say. Tests drive it with byte arrays and fake times.
///
/// A request goes: head → identity → target checks and heuristics → DNS through Airlock → address
/// checks → for CONNECT: 200, then the ClientHello is read and checked before any upstream is
/// contacted, then the tunnel is relayed with its upload counted; for plain HTTP: connect, the
/// head (hop-by-hop fields removed) and body forwarded, the response relayed, and the connection
/// kept for the next request when both sides allow it.
public struct ConnectionMachine {
    enum State: Equatable {
        /// Waiting for a request head (the first, or the next on a kept-alive connection).
        case idle
        case resolving
        /// Plain HTTP: connecting to `exchange.destinations[index]`.
        case connecting(index: Int)
        /// CONNECT: 200 sent and the upstream connect started; waiting for the ClientHello. Not one
        /// byte goes upstream before the hello passes.
        case awaitingHello
        /// CONNECT: the hello passed; the upstream connection is not up yet.
        case helloConnecting(index: Int, hello: [UInt8])
        case tunnel
        /// Plain HTTP: forwarding the request body.
        case sendingBody
        case awaitingResponse
        case responseBody
        case closed
    }

    /// The request in progress.
    struct Exchange {
        var head: HTTPRequestHead
        var authority: HTTPAuthority
        var sandbox: SandboxPolicy
        var identity: String
        var ledgerKey: EgressLedger.Key
        /// Addresses that passed the destination checks, in the order to try.
        var destinations: [IPAddress] = []
        var destination: Endpoint?
        /// Which of `destinations` the current upstream connection goes to.
        var destinationIndex = 0
        /// CONNECT: the upstream TCP connection is up (nothing has been sent on it yet).
        var upstreamReady = false
        var sni: String?
        /// Request body still to forward.
        var bodyRemaining: UInt64 = 0
        var bodyDecoder: ChunkedBodyDecoder?
        /// The response being relayed.
        var response: HTTPResponseHead?
        var responseRemaining: UInt64 = 0
        var responseDecoder: ChunkedBodyDecoder?
        var responseStarted = false
        var bytesUp = 0
        var bytesDown = 0
        /// Monotonic nanoseconds when the request head was read (the exchange's duration starts here).
        var started: Int64 = 0
        /// Report mode: the upload budget was passed and logged once.
        var budgetReported = false
    }

    let context: EgressContext
    public let client: Endpoint
    /// Transparent mode: where the client meant to connect before nftables redirected it here
    /// (nil for proxy clients). TLS is then routed by its SNI, plain HTTP by its Host header.
    public let originalDestination: Endpoint?
    /// The current exchange is a redirected TLS connection: refusals are TLS alerts, not HTTP.
    var transparentTLS = false
    var state = State.idle
    var exchange: Exchange?
    /// Monotonic nanoseconds after which ``tick(now:)`` acts.
    public internal(set) var deadline: Int64
    var tunnelStarted: Int64 = 0
    /// What the relay path needs of the exchange, copied once when the tunnel starts.
    struct TunnelConstants {
        var key: EgressLedger.Key
        var budget: Budget
        var mode: PolicyMode
    }
    var tunnel: TunnelConstants?
    var tunnelUp = 0
    var tunnelDown = 0
    var tunnelBudgetReported = false
    /// The client ended its side: finish the exchange in flight, then close.
    var clientDone = false
    var policy: PolicySnapshot
    /// Decisions made since the last ``takeRecords()``.
    public internal(set) var records: [HTTPDecisionRecord] = []

    public init(context: EgressContext, client: Endpoint, now: ProxyTime, originalDestination: Endpoint? = nil) {
        self.context = context
        self.client = client
        self.originalDestination = originalDestination
        self.policy = context.policy
        self.deadline = now.monotonic + Self.seconds(context.configuration.headTimeoutSeconds)
    }

    var configuration: HTTPProxyConfiguration { context.configuration }

    static func seconds(_ s: Int) -> Int64 { Int64(max(s, 1)) * 1_000_000_000 }

    /// Whether the machine is relaying a tunnel (the server copies bytes itself).
    public var isTunnel: Bool { state == .tunnel }
    public var isClosed: Bool { state == .closed }
    /// Waiting for a request head (before the first or between keep-alive requests), nothing in
    /// flight: what may be closed to make room for other clients (``ClientShares``).
    public var isWaitingForRequest: Bool { state == .idle }

    /// Whether client bytes are consumed now (otherwise they wait in the server's buffer, and the
    /// server stops reading once that holds ``HTTPProxyConfiguration/relayBufferBytes``).
    public var consumesClientInput: Bool {
        switch state {
        case .idle, .awaitingHello, .sendingBody: return true
        default: return false
        }
    }

    /// Hands over the decisions made since the last call (the buffer itself: copying it and emptying
    /// it "keeping capacity" allocated a new one each time).
    public mutating func takeRecords() -> [HTTPDecisionRecord] {
        guard !records.isEmpty else { return [] }
        var out: [HTTPDecisionRecord] = []
        swap(&out, &records)
        return out
    }

    // MARK: Client bytes

    /// Consumes what it can of the client's buffered bytes.
    public mutating func clientData(_ input: inout [UInt8], now: ProxyTime) -> [ConnectionAction] {
        var actions: [ConnectionAction] = []
        // A kept-alive connection may hold several pipelined requests; each pass handles one step.
        for _ in 0..<64 {
            let before = (state, input.count)
            switch state {
            case .idle:
                guard !input.isEmpty, !clientDone else { return actions }
                actions += originalDestination == nil ? readHead(&input, now: now) : readTransparent(&input, now: now)
            case .awaitingHello:
                actions += readHello(&input, now: now)
            case .sendingBody:
                actions += forwardBody(&input, now: now)
            default:
                return actions
            }
            if state == before.0 && input.count == before.1 { return actions }
            if actions.contains(.close) { return actions }
        }
        return actions
    }

    /// The client closed its sending side.
    public mutating func clientClosed(now: ProxyTime) -> [ConnectionAction] {
        clientDone = true
        switch state {
        case .awaitingResponse, .responseBody:
            return []
        case .closed:
            return []
        case .idle:
            state = .closed
            return [.close]
        default:
            endExchange(now: now, why: "client closed the connection")
            state = .closed
            return [.close]
        }
    }

    // MARK: Timeouts

    /// Acts on a passed deadline: closes idle connections, answers 504 or 408 where it still can.
    public mutating func tick(now: ProxyTime) -> [ConnectionAction] {
        guard now.monotonic >= deadline, state != .closed else { return [] }
        switch state {
        case .idle:
            state = .closed
            return [.close]
        case .resolving:
            return fail(
                status: 504, stage: .dns, reason: "resolving the host through Airlock's DNS timed out", now: now)
        case .connecting(let index):
            return upstreamFailed(reason: "connect timed out", index: index, now: now)
        case .helloConnecting(let index, _):
            return upstreamFailed(reason: "connect timed out", index: index, now: now)
        case .awaitingHello:
            var empty: [UInt8] = []
            return decideHello(&empty, parsed: .needMoreData(minimumTotal: nil), now: now)
        case .tunnel:
            let total = now.monotonic - tunnelStarted >= Self.seconds(configuration.tunnelMaxSeconds)
            endExchange(now: now, why: total ? "tunnel reached its maximum lifetime" : "tunnel idle")
            state = .closed
            return [.close]
        case .sendingBody, .awaitingResponse, .responseBody:
            if exchange?.responseStarted == true {
                endExchange(now: now, why: "upstream idle")
                state = .closed
                return [.close]
            }
            return fail(status: 504, stage: .upstream, reason: "the upstream did not answer in time", now: now)
        case .closed:
            return []
        }
    }

    // MARK: Records

    mutating func note(
        _ stage: HTTPDecisionRecord.Stage, _ action: HTTPDecisionRecord.Action, now: ProxyTime,
        decision: EgressDecision? = nil, rule: String? = nil, reason: String? = nil, kind: EgressReasonKind? = nil,
        status: Int? = nil, sandbox: SandboxPolicy? = nil, identity: String? = nil, head: HTTPRequestHead? = nil
    ) {
        let ex = exchange
        let head = head ?? ex?.head
        var record = HTTPDecisionRecord(
            time: now.wall, stage: stage, action: action, sandbox: (sandbox ?? ex?.sandbox)?.name,
            identity: identity ?? ex?.identity ?? "address", client: client, method: head?.method,
            host: ex?.authority.host ?? head?.authority?.host, port: ex?.authority.port ?? head?.authority?.port,
            destination: ex?.destination, sni: ex?.sni, rule: decision?.rule ?? rule,
            reason: decision?.reason ?? reason, kind: decision?.kind ?? kind ?? .routine,
            evidence: decision?.evidence ?? [], mode: decision?.mode ?? (sandbox ?? ex?.sandbox)?.mode, status: status,
            policyVersion: policy.version)
        if let head, !head.isConnect {
            let path = head.pathAndQuery
            record.path = path.utf8.count > 256 ? String(decoding: path.utf8.prefix(256), as: UTF8.self) : path
        }
        if action == .end {
            record.bytesUp = ex?.bytesUp
            record.bytesDown = ex?.bytesDown
            if let started = ex?.started, started > 0 {
                record.durationSeconds = Double(max(0, now.monotonic - started)) / 1e9
            }
        }
        if configuration.logLevel.wants(record) { records.append(record) }
    }

    /// Logs the end of a tunnel or an exchange cut short, with the bytes moved.
    mutating func endExchange(now: ProxyTime, why: String) {
        guard exchange != nil else { return }
        exchange?.bytesUp += tunnelUp
        exchange?.bytesDown += tunnelDown
        tunnelUp = 0
        tunnelDown = 0
        note(.transfer, .end, now: now, rule: "http.transfer", reason: why)
        exchange = nil
    }

    /// Answers the client with an error the proxy made (not a policy decision) and logs it.
    mutating func fail(status: Int, stage: HTTPDecisionRecord.Stage, reason: String, now: ProxyTime)
        -> [ConnectionAction]
    {
        note(stage, .error, now: now, rule: "http.\(stage.rawValue)", reason: reason, kind: .error, status: status)
        let afterTwoHundred =
            state == .awaitingHello || state == .tunnel
            || {
                if case .helloConnecting = state { return true }
                return false
            }()
        var actions: [ConnectionAction] = [.closeUpstream]
        if transparentTLS {
            if state != .tunnel { actions.append(.sendClient(Self.accessDeniedAlert)) }
        } else if !afterTwoHundred && exchange?.responseStarted != true {
            actions.append(.sendClient(Self.errorResponse(status: status, reason: reason)))
        }
        exchange = nil
        state = .closed
        actions.append(.close)
        return actions
    }

    static func statusText(_ status: Int) -> String {
        switch status {
        case 400: return "Bad Request"
        case 403: return "Forbidden"
        case 407: return "Proxy Authentication Required"
        case 408: return "Request Timeout"
        case 414: return "URI Too Long"
        case 429: return "Too Many Requests"
        case 431: return "Request Header Fields Too Large"
        case 501: return "Not Implemented"
        case 502: return "Bad Gateway"
        case 504: return "Gateway Timeout"
        case 505: return "HTTP Version Not Supported"
        default: return "Error"
        }
    }

    static func errorResponse(status: Int, reason: String, keepAlive: Bool = false) -> [UInt8] {
        HTTPHeadWriter.response(
            status: status, reason: statusText(status), headers: [HTTPHeader("X-Airlock-Error", reason)],
            body: "Airlock: \(reason)\n", keepAlive: keepAlive)
    }
}
