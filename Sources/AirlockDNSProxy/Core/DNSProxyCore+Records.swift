import AirlockEnforcement
import AirlockEngine
import AirlockEvents
import AirlockPolicy

/// Building decision records (only those the log level keeps are built).
extension DNSProxyCore {
    /// Keeps `record` if the log level wants it. Records are cheap to build (no strings formatted),
    /// and the hot path skips building plain allowed-query records when they would be dropped.
    mutating func note(_ record: consuming DNSDecisionRecord) {
        if configuration.logLevel.wants(record) { records.append(record) }
    }

    func queryRecord(_ judgement: QueryJudgement, _ client: ClientHandle, _ time: ProxyTime) -> DNSDecisionRecord {
        DNSDecisionRecord(judgement, policyVersion: policy.version)
    }

    func packetRecord(
        _ client: ClientHandle, _ time: ProxyTime, _ action: DNSDecisionRecord.Action, detail: String, rcode: UInt16? = nil
    ) -> DNSDecisionRecord {
        let sandbox = policy.context(for: client.peer.address)
        return DNSDecisionRecord(
            time: time.wall, stage: .packet, action: action, sandbox: sandbox.name, client: client.peer,
            transport: client.transport, rcode: rcode, detail: detail, mode: sandbox.mode, policyVersion: policy.version
        )
    }

    func answerRecord(
        _ event: DNSQueryEvent, _ client: ClientHandle, _ time: ProxyTime, _ sandbox: SandboxContext,
        _ action: DNSDecisionRecord.Action, basis: BlockBasis? = nil, verdict: Verdict? = nil, alert: Bool = false,
        cached: Bool = false, detail: String? = nil, rcode: UInt16? = nil
    ) -> DNSDecisionRecord {
        DNSDecisionRecord(
            time: time.wall, stage: .answer, action: action, sandbox: sandbox.name, client: client.peer,
            transport: client.transport, name: event.name, qtype: event.qtype, domain: event.domain, basis: basis,
            verdict: verdict, alert: alert, cached: cached, rcode: rcode, detail: detail, mode: sandbox.mode,
            policyVersion: policy.version)
    }

    mutating func noteRebinding(
        _ decision: PolicyDecision, _ sandbox: SandboxContext, _ event: DNSQueryEvent, _ client: ClientHandle,
        _ time: ProxyTime, cached: Bool, rcode: UInt16
    ) {
        switch sandbox.mode {
        case .enforce:
            note(
                answerRecord(
                    event, client, time, sandbox, .block, basis: .rebinding(decision), cached: cached, rcode: rcode))
        case .report:
            stats.wouldBlock += 1
            note(answerRecord(event, client, time, sandbox, .wouldBlock, basis: .rebinding(decision), cached: cached))
        case .open:
            break
        }
    }

    mutating func noteAnswerVerdict(
        _ verdict: Verdict, _ event: DNSQueryEvent, _ client: ClientHandle, _ time: ProxyTime, _ sandbox: SandboxContext
    ) {
        note(answerRecord(event, client, time, sandbox, .allow, verdict: verdict, alert: verdict.isFirst))
    }

    /// The query's identity for answer-stage records (the engine's event is not kept while waiting).
    func eventStub(_ entry: PendingUpstreamQueries.Entry, _ time: ProxyTime, _ sandbox: SandboxContext) -> DNSQueryEvent
    {
        DNSQueryEvent(
            time: time.wall, client: entry.client.peer, server: entry.client.local, transport: entry.client.transport,
            id: entry.clientID, name: entry.question.name, qtype: entry.question.type,
            domain: entry.domain, sandbox: sandbox.sandboxID)
    }
}
