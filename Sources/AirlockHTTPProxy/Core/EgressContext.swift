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
    /// The host's own addresses, refreshed by the server (``updateOwnHost(_:)``).
    private let ownHostAddresses = Mutex(OwnHostAddresses())

    public init(configuration: HTTPProxyConfiguration, policies: PolicyStore, egressGuard: EgressGuard? = nil) {
        self.configuration = configuration
        self.policies = policies
        self.egressGuard = egressGuard ?? EgressGuard(allowNonTLSTunnels: configuration.allowNonTLSTunnels)
    }

    /// The policy in force.
    public var policy: PolicySnapshot { policies.policy }

    /// What a destination may not be: the host's own addresses (nil when
    /// ``HTTPProxyConfiguration/allowOwnHostDestinations`` turned the check off).
    public var ownHost: OwnHostAddresses? {
        configuration.allowOwnHostDestinations ? nil : ownHostAddresses.withLock { $0 }
    }

    /// Replaces the list of the host's interface addresses (the server lists them at start and
    /// again every few seconds: a sandbox set up later brings a host-side address with it).
    public func updateOwnHost(_ addresses: Set<IPAddress>) {
        ownHostAddresses.withLock { $0 = OwnHostAddresses(addresses) }
    }

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
