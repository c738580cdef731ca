import AirlockDNSProxy
import AirlockEnforcement
import AirlockEvents
import AirlockNames
import AirlockPolicy
import Synchronization

/// What every connection on every worker shares: the configuration, the DNS proxy's shared state
/// (the policy in force and the one detection engine, so names the HTTP proxy resolves count
/// toward the same tunnel verdicts and quarantines as the sandbox's own DNS queries), and the
/// egress ledger behind one lock.
public final class HTTPProxyShared: Sendable {
    public let configuration: HTTPProxyConfiguration
    public let dns: ProxyShared
    public let ledger = Mutex(EgressLedger())
    public let egressGuard: EgressGuard
    let grouper = DomainGrouper()

    public init(configuration: HTTPProxyConfiguration, dns: ProxyShared, egressGuard: EgressGuard? = nil) {
        self.configuration = configuration
        self.dns = dns
        self.egressGuard = egressGuard ?? EgressGuard(allowNonTLSTunnels: configuration.allowNonTLSTunnels)
    }

    /// The policy in force.
    public var policy: PolicySnapshot { dns.policy }

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
