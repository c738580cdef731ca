import AirlockDNSWire
import AirlockEnforcement
import AirlockEngine
import AirlockNames
import AirlockPipeline
import AirlockPolicy
import Synchronization

/// The inspection every DNS worker thread (and the HTTP proxy's resolver) shares: the one pipeline
/// and enforcer (engine, quarantines, budgets) behind a lock, and the ``PolicyStore`` in force.
///
/// The engine is a value type and not thread-safe; one instance behind one lock means a tunnel
/// spread over threads is still one client's evidence, and a conviction covers every sandbox. The
/// critical section is one `judge` (and, for answers the proxy makes itself, one `observe`): no I/O,
/// no formatting.
public final class SharedInspection: Sendable {
    let enforcer: Mutex<InspectionState>
    /// The policy in force; the HTTP proxy reads the same store.
    public let policies: PolicyStore

    /// - Parameter groupingCacheSlots: names whose domain group is remembered (~100 bytes each); the
    ///   fuzz harness, which builds a proxy per input, keeps it small.
    public init(policy: PolicySnapshot, exemptions: DomainExemptions = .defaults, groupingCacheSlots: Int = 8192) {
        self.exemptions = exemptions
        self.groupingCacheSlots = groupingCacheSlots
        enforcer = Mutex(InspectionState(pipeline: Self.pipeline(policy, exemptions, groupingCacheSlots)))
        policies = PolicyStore(policy)
    }

    private let exemptions: DomainExemptions
    private let groupingCacheSlots: Int

    private static func pipeline(_ policy: PolicySnapshot, _ exemptions: DomainExemptions, _ slots: Int) -> DNSPipeline {
        DNSPipeline(
            engine: DetectionEngine(
                configuration: policy.detection, exemptions: exemptions, localZones: policy.localZones),
            grouper: GroupingCache(capacity: slots), sandboxes: SandboxDirectory(policy: policy.policy))
    }

    /// The policy in force.
    public var policy: PolicySnapshot { policies.policy }

    /// Installs a new policy. The engine's evidence and the quarantines are kept; when the new policy
    /// changes the detection thresholds, local zones or sandboxes, the pipeline is rebuilt with them (evidence
    /// restarts, quarantines stay).
    public func install(_ snapshot: PolicySnapshot) {
        let old = policy
        let sandboxesChanged =
            old.policy.sandboxes.map(\.name) != snapshot.policy.sandboxes.map(\.name)
            || old.policy.sandboxes.map { $0.match.map(\.cidr) }
                != snapshot.policy.sandboxes.map { $0.match.map(\.cidr) }
        if old.detection != snapshot.detection || old.policy.localZones != snapshot.policy.localZones
            || sandboxesChanged
        {
            let pipeline = Self.pipeline(snapshot, exemptions, groupingCacheSlots)
            // Quarantines and budgets stay: a reload must not release a convicted domain.
            enforcer.withLock { $0.pipeline = pipeline }
        }
        policies.install(snapshot)
    }

    /// Engine and enforcer figures for the status line.
    public func enforcerStatus() -> (trackedDomains: Int, quarantines: Int, queries: Int) {
        enforcer.withLock { ($0.pipeline.engine.trackedDomains, $0.enforcer.quarantinesStarted, $0.pipeline.queries) }
    }
}

/// The pipeline and the enforcer the workers share, changed together under one lock.
struct InspectionState: Sendable {
    var pipeline: DNSPipeline
    var enforcer = DNSEnforcer()

    init(pipeline: DNSPipeline) {
        self.pipeline = pipeline
    }

    /// An answer as the client gets it, into the engine; a verdict when it tipped its domain over.
    /// (The pipeline's response path without ``DNSDecision``, as for queries in ``inspect``: the
    /// proxy's answers are responses, to queries it sent the engine.)
    mutating func observe(response message: DNSMessage, origin: MessageOrigin) -> Verdict? {
        guard message.isResponse, let question = message.question,
            let event = pipeline.responseEvent(message, question, from: origin)
        else { return nil }
        let verdict = pipeline.observe(event)
        enforcer.observe(event, verdict: verdict)
        return verdict
    }
}

extension InspectionState {
    /// The engine's part of one query, as ``DNSProxyCore`` runs it under the lock: the judgement, and
    /// the answer the proxy makes itself (a block, a cached answer) shown to the engine at once. Takes
    /// the prepared query's parts: the batch loop passes them read in place from its buffer (passing
    /// the whole ~1 KB prepared query copied it, a dozen retains and releases). The judgement and the
    /// verdict on the answer made here go into the batch's buffers; false (nothing added) when the
    /// pipeline found no question.
    mutating func inspect(
        _ message: DNSMessage, origin: MessageOrigin, reply: MessageOrigin, context: SandboxContext,
        decision: PolicyDecision, cachedBlocked: Bool, cached: DNSMessage?,
        into judgements: inout [QueryJudgement], _ verdicts: inout [Verdict?]
    ) -> Bool {
        // The query through the engine, then the policy's stateful checks, the judgement made where
        // it is kept (an optional judgement returned and unwrapped was copied whole twice).
        guard !message.isResponse, let question = message.question else { return false }
        let event = pipeline.queryEvent(message, question, from: origin)
        let assessment = pipeline.inspect(event)
        judgements.append(enforcer.judge(event, assessment, terms: context.terms, decision: decision))
        let block = judgements[judgements.count - 1].block
        let blocks = block != nil && judgements[judgements.count - 1].mode == .enforce
        var sent: DNSMessage?
        if blocks || cachedBlocked {
            let rcode = context.blockRcode
            sent = MessageEditing.synthesized(
                message, rcode: blocks ? block?.responseCode(default: rcode) ?? rcode : rcode)
        } else if let cached {
            sent = cached
        }
        verdicts.append(sent.flatMap { observe(response: $0, origin: reply) })
        return true
    }
}
