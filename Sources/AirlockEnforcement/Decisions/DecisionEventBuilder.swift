import AirlockEngine
import AirlockEvents

/// Turns what the proxies and replay already hold (engine events, assessments, verdicts, bypass
/// classifications, policy outcomes) into ``DecisionEvent``s, so none of them formats alerts itself
/// and the same traffic yields the same records wherever it is seen.
public struct DecisionEventBuilder: Sendable {
    /// How decisions are enforced: decides the action recorded for verdicts and denials.
    public enum Enforcement: String, Sendable, CaseIterable {
        /// Blocks and quarantines are applied.
        case enforce
        /// Nothing is stopped; what would have been stopped is recorded as `would-*`.
        case report
        /// Detection only (offline replay, passive capture): verdicts are recorded as `alert`.
        case monitor
    }

    public var enforcement: Enforcement
    /// Whether a tunnel verdict quarantines its domain (the policy's `quarantine_seconds` > 0).
    public var quarantine: Bool
    /// SHA-256 hex of the policy file, carried on every decision.
    public var policyVersion: String?

    public init(enforcement: Enforcement = .enforce, quarantine: Bool = true, policyVersion: String? = nil) {
        self.enforcement = enforcement
        self.quarantine = quarantine
        self.policyVersion = policyVersion
    }

    /// The action a tunnel verdict leads to under this enforcement.
    public var tunnelAction: DecisionAction {
        switch (enforcement, quarantine) {
        case (.enforce, true): return .quarantine
        case (.report, true): return .wouldQuarantine
        default: return .alert
        }
    }

    /// The action a policy denial leads to under this enforcement.
    public var denyAction: DecisionAction {
        switch enforcement {
        case .enforce: return .block
        case .report: return .wouldBlock
        case .monitor: return .alert
        }
    }

    // MARK: DNS

    /// A query and the engine's assessment of it. `action` overrides the derived action when the
    /// proxy did something else (e.g. a policy block of a name that also scored).
    public func decision(
        query: DNSQueryEvent, assessment: DNSAssessment, action: DecisionAction? = nil
    ) -> DecisionEvent {
        let request = DecisionRequest.dns(name: query.name.description, qtype: query.qtype, transport: query.transport)
        guard let verdict = assessment.verdict else {
            return DecisionEvent(
                time: query.time, source: .dns, sandbox: query.sandbox, client: query.client, server: query.server,
                request: request, action: action ?? .allow, reason: .routine, rule: "dns.allow", message: "no detection rule fired",
                policyVersion: policyVersion, domain: query.domain.value)
        }
        return decision(
            verdict: verdict, time: query.time, sandbox: query.sandbox, client: query.client, server: query.server,
            request: request, action: action)
    }

    /// A response that tipped its domain over (NXDOMAIN ratio, downstream payload).
    public func decision(
        response: DNSResponseEvent, verdict: Verdict, action: DecisionAction? = nil
    ) -> DecisionEvent {
        let request = DecisionRequest.dns(
            name: response.name.description, qtype: response.qtype, transport: response.transport)
        return decision(
            verdict: verdict, time: response.time, sandbox: response.sandbox, client: response.client,
            server: response.server, request: request, action: action)
    }

    private func decision(
        verdict: Verdict, time: Timestamp, sandbox: SandboxID?, client: Endpoint, server: Endpoint,
        request: DecisionRequest, action: DecisionAction?
    ) -> DecisionEvent {
        let derived: DecisionAction = verdict.kind == .tunnel ? tunnelAction : .allow
        return DecisionEvent(
            time: time, source: .dns, sandbox: sandbox, client: client, server: server, request: request,
            action: action ?? derived,
            reason: .detection, rule: verdict.rule, verdict: verdict, evidence: verdict.evidence,
            policyVersion: policyVersion, domain: verdict.domain.value,
            queries: verdict.queries, nameBytes: verdict.nameBytes)
    }

    /// A query stopped because its domain is quarantined, when the engine no longer holds a verdict
    /// for it (the quarantine outlives the engine's window).
    public func quarantined(query: DNSQueryEvent, until: Timestamp, rule: String = "dns.quarantine") -> DecisionEvent {
        DecisionEvent(
            time: query.time, source: .dns, sandbox: query.sandbox, client: query.client, server: query.server,
            request: .dns(name: query.name.description, qtype: query.qtype, transport: query.transport),
            action: enforcement == .enforce ? .quarantine : (enforcement == .report ? .wouldQuarantine : .alert),
            reason: .quarantine, rule: rule,
            message: "\(query.domain.value) is quarantined after a tunnel verdict until \(until)",
            policyVersion: policyVersion, domain: query.domain.value)
    }

    // MARK: Bypass

    /// A flow the engine's resolver-bypass classifier flagged (the replay's and proxies' `BypassFinding`
    /// carries the same facts: kind id, server name, reason).
    public func decision(
        bypass: ResolverBypass, time: Timestamp, client: Endpoint, sandbox: SandboxID?, serverName: String? = nil
    ) -> DecisionEvent {
        decision(
            bypassKind: bypass.kind.rawValue, serverName: serverName, reason: bypass.reason, time: time, client: client,
            destination: bypass.destination, transport: bypass.transport, sandbox: sandbox)
    }

    /// A resolver bypass from its parts (kind id such as `dns-over-https`, SNI, reason line).
    public func decision(
        bypassKind: String, serverName: String?, reason: String, time: Timestamp, client: Endpoint,
        destination: Endpoint, transport: Transport, sandbox: SandboxID?
    ) -> DecisionEvent {
        DecisionEvent(
            time: time, source: .flow, sandbox: sandbox, client: client, server: destination,
            request: .connection(destination: destination, transport: transport, serverName: serverName),
            action: denyAction, reason: .resolverBypass, rule: "bypass." + bypassKind, message: reason,
            policyVersion: policyVersion, domain: serverName ?? destination.address.description)
    }

    // MARK: Policy, budgets, boundary

    /// A policy outcome: `denied` says whether the policy said no; `crossBoundary` whether the request
    /// left the sandbox's allowed world (a private destination, a denied host) — those alert, while
    /// routine list decisions are only counted.
    public func policyDecision(
        time: Timestamp, source: DecisionSource, sandbox: SandboxID?, client: Endpoint, request: DecisionRequest,
        rule: String, message: String, denied: Bool, crossBoundary: Bool, action: DecisionAction? = nil
    ) -> DecisionEvent {
        DecisionEvent(
            time: time, source: source, sandbox: sandbox, client: client, request: request,
            action: action ?? (denied ? denyAction : .allow),
            reason: denied && crossBoundary ? .policyDenial : .routine, rule: rule, message: message,
            policyVersion: policyVersion, domain: request.target)
    }

    /// A byte budget ran out: `used` bytes against `budget` within `windowSeconds`.
    public func budgetExhausted(
        time: Timestamp, source: DecisionSource, sandbox: SandboxID?, client: Endpoint, request: DecisionRequest,
        domain: String, used: Int, budget: Int, windowSeconds: Int, rule: String
    ) -> DecisionEvent {
        let feature = source == .dns ? "leak_bytes" : "upload_bytes"
        return DecisionEvent(
            time: time, source: source, sandbox: sandbox, client: client, request: request, action: denyAction,
            reason: .budgetExhausted, rule: rule,
            evidence: [Evidence(feature: feature, value: Double(used), threshold: Double(budget), contribution: 1)],
            message: "\(used) bytes to \(domain) in \(windowSeconds) s exceeds the budget of \(budget) bytes",
            policyVersion: policyVersion, domain: domain, nameBytes: source == .dns ? used : nil)
    }

    /// A connection or request to a cloud metadata endpoint.
    public func metadataAccess(
        time: Timestamp, source: DecisionSource, sandbox: SandboxID?, client: Endpoint, request: DecisionRequest,
        rule: String = "boundary.metadata"
    ) -> DecisionEvent {
        DecisionEvent(
            time: time, source: source, sandbox: sandbox, client: client, request: request, action: denyAction,
            reason: .metadataAccess, rule: rule,
            message: "\(request.target) is a cloud metadata endpoint: instance credentials must not reach a sandbox",
            policyVersion: policyVersion, domain: request.target)
    }

    // MARK: Fleet

    /// Fleet sync with Redis lost (`lost`) or back: one alert each way. `redis` is the address the
    /// policy names; `detail` the failure (lost) or how long sync was away (back).
    public func fleetSync(
        lost: Bool, time: Timestamp, redis: HostPort, instance: String, detail: String
    ) -> DecisionEvent {
        let destination = IPAddress(redis.host).map { Endpoint(address: $0, port: redis.port) }
            ?? Endpoint(address: .v4(0), port: redis.port)
        let message =
            lost
            ? "fleet sync of instance \(instance) with Redis at \(redis) lost (\(detail)): enforcing with local "
                + "state only (own convictions and budgets), retrying with backoff"
            : "fleet sync of instance \(instance) with Redis at \(redis) is back (\(detail)): convictions "
                + "made meanwhile republished"
        return DecisionEvent(
            time: time, source: .fleet, sandbox: nil, client: Endpoint(address: .v4(0), port: 0), server: destination,
            request: .connection(destination: destination, transport: .tcp, serverName: nil),
            action: lost ? .error : .alert, reason: lost ? .fleetSyncLost : .fleetSyncReturned, rule: "fleet.sync",
            message: message, policyVersion: policyVersion, domain: redis.description)
    }

    /// A TLS server name that does not match the host the request named.
    public func sniMismatch(
        time: Timestamp, sandbox: SandboxID?, client: Endpoint, requestedHost: String, port: UInt16, serverName: String,
        rule: String = "http.sni_mismatch"
    ) -> DecisionEvent {
        DecisionEvent(
            time: time, source: .http, sandbox: sandbox, client: client,
            request: .http(method: "CONNECT", host: requestedHost, port: port, path: nil), action: denyAction,
            reason: .sniMismatch, rule: rule,
            message: "CONNECT to \(requestedHost):\(port) sent TLS SNI '\(serverName)'",
            policyVersion: policyVersion, domain: requestedHost)
    }
}
