import AirlockEnforcement
import AirlockEvents
import AirlockNames
import AirlockPolicy
import Synchronization

/// What every connection on every worker consults: the configuration, the policy in force (the
/// store the DNS proxy reloads too), the egress guard, and the egress ledger behind one lock.
public final class EgressContext: Sendable {
    public let configuration: HTTPProxyConfiguration
    public let policies: PolicyStore
    public let ledger = Mutex(EgressLedger())
    public let egressGuard: EgressGuard
    let grouper = DomainGrouper()

    public init(configuration: HTTPProxyConfiguration, policies: PolicyStore, egressGuard: EgressGuard? = nil) {
        self.configuration = configuration
        self.policies = policies
        self.egressGuard = egressGuard ?? EgressGuard(allowNonTLSTunnels: configuration.allowNonTLSTunnels)
    }

    /// The policy in force.
    public var policy: PolicySnapshot { policies.policy }

    /// The ledger key of a destination host: its registered domain (budgets follow the domain, so
    /// `a.evil.example` and `b.evil.example` share one), or the address itself for IP literals.
    func ledgerKey(sandbox: String?, host: String) -> EgressLedger.Key {
        if IPAddress(host) == nil, let name = DNSName(host) {
            let key = grouper.key(for: name, server: Endpoint(address: .v4(0), port: 0))
            return EgressLedger.Key(sandbox: sandbox, destination: key.value)
        }
        return EgressLedger.Key(sandbox: sandbox, destination: host)
    }
}
