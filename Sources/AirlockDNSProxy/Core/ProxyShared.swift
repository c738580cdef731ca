import AirlockDNSWire
import AirlockEngine
import AirlockPipeline
import AirlockPolicy
import Synchronization

/// What every worker thread shares: the one enforcer (pipeline, engine, quarantines, budgets) behind
/// a lock, and the current policy, swapped atomically on reload.
///
/// The engine is a value type and not thread-safe; one instance behind one lock means a tunnel
/// spread over threads (or over clients) is still one domain's evidence. The critical section is one
/// `judge` (and, for answers the proxy makes itself, one `observe`): no I/O, no formatting.
public final class ProxyShared: Sendable {
    let enforcer: Mutex<DNSEnforcer>
    private let current: Mutex<PolicySnapshot>
    /// Bumped on every reload; workers compare it once per loop turn, without taking the lock.
    let generation = Atomic<Int>(0)

    public init(policy: PolicySnapshot, exemptions: DomainExemptions = .defaults) {
        let pipeline = DNSPipeline(
            engine: DetectionEngine(configuration: policy.detection, exemptions: exemptions),
            sandboxes: SandboxDirectory(policy: policy.policy))
        enforcer = Mutex(DNSEnforcer(pipeline: pipeline))
        current = Mutex(policy)
        self.exemptions = exemptions
    }

    private let exemptions: DomainExemptions

    /// The policy in force.
    public var policy: PolicySnapshot { current.withLock { $0 } }

    /// Installs a new policy. The engine's evidence and the quarantines are kept; when the new policy
    /// changes the detection thresholds or sandboxes, the pipeline is rebuilt with them (evidence
    /// restarts, quarantines stay).
    public func install(_ snapshot: PolicySnapshot) {
        let old = policy
        let sandboxesChanged =
            old.policy.sandboxes.map(\.name) != snapshot.policy.sandboxes.map(\.name)
            || old.policy.sandboxes.map { $0.match.map(\.cidr) }
                != snapshot.policy.sandboxes.map { $0.match.map(\.cidr) }
        if old.detection != snapshot.detection || sandboxesChanged {
            let pipeline = DNSPipeline(
                engine: DetectionEngine(configuration: snapshot.detection, exemptions: exemptions),
                sandboxes: SandboxDirectory(policy: snapshot.policy))
            enforcer.withLock { $0.replacePipeline(pipeline) }
        }
        current.withLock { $0 = snapshot }
        generation.add(1, ordering: .releasing)
    }

    /// Engine and enforcer figures for the status line.
    public func enforcerStatus() -> (trackedDomains: Int, quarantines: Int, queries: Int) {
        enforcer.withLock { ($0.pipeline.engine.trackedDomains, $0.quarantinesStarted, $0.pipeline.queries) }
    }
}
