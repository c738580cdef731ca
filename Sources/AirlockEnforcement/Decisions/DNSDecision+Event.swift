import AirlockEngine
import AirlockEvents
import AirlockPipeline

extension DecisionEventBuilder {
    /// A decision from the shared DNS pipeline (replay and anything else built on ``DNSPipeline``).
    /// Nil for messages that carry no decision (unmatched responses, messages without a question,
    /// responses that changed no verdict).
    public func decision(_ pipelineDecision: DNSDecision) -> DecisionEvent? {
        switch pipelineDecision {
        case .query(let event, let assessment):
            return decision(query: event, assessment: assessment)
        case .response(let event, let verdict?):
            return decision(response: event, verdict: verdict)
        case .response(_, nil), .unmatchedResponse, .noQuestion:
            return nil
        }
    }

    /// A flow the pipeline's ``BypassDetector`` flagged. The finding holds what the first bytes
    /// showed; the flow's time and ends come from whoever saw the flow.
    public func decision(
        bypass finding: BypassFinding, time: Timestamp, client: Endpoint, destination: Endpoint, transport: Transport,
        sandbox: SandboxID?
    ) -> DecisionEvent {
        decision(
            bypassKind: finding.kind, serverName: finding.serverName, reason: finding.reason, time: time, client: client,
            destination: destination, transport: transport, sandbox: sandbox)
    }
}
