import AirlockDNSWire
import AirlockEngine
import AirlockEvents
import AirlockPolicy

/// A loaded policy plus what the proxy derives from it once: each sandbox's resolved policy with its
/// upstream list (the policy's, else the command line's), a number per distinct list (so the packet
/// cache never serves one sandbox an answer fetched from another sandbox's resolvers), and its block
/// RCODE — held in a class so the packet path passes a reference instead of copying the policy.
public final class PolicySnapshot: Sendable {
    public let policy: Policy
    /// The engine configuration the policy's `detection:` section asks for.
    public let detection: DetectionConfiguration
    private let matchers: [(cidr: CIDR, context: SandboxContext)]
    private let topLevel: SandboxContext

    /// Fails when some sandbox would have no upstream at all.
    public init(policy: Policy, defaultUpstreams: [Endpoint]) throws(PolicyLoadError) {
        self.policy = policy
        self.detection = Self.detection(for: policy)
        var lists: [[Endpoint]] = []
        func context(_ sandbox: SandboxPolicy) throws(PolicyLoadError) -> SandboxContext {
            let upstreams = sandbox.dns.upstreams.isEmpty ? defaultUpstreams : sandbox.dns.upstreams
            guard !upstreams.isEmpty else { throw .noUpstreams }
            let id = lists.firstIndex(of: upstreams) ?? lists.count
            if id == lists.count { lists.append(upstreams) }
            return SandboxContext(policy: sandbox, upstreams: upstreams, upstreamGroup: id)
        }
        topLevel = try context(policy.defaults)
        var matchers: [(cidr: CIDR, context: SandboxContext)] = []
        for sandbox in policy.sandboxes {
            let resolved = try context(sandbox)
            matchers += sandbox.match.map { ($0.cidr, resolved) }
        }
        self.matchers = matchers
    }

    /// Loads and validates a policy file (engine threshold keys checked against the engine's list).
    public static func load(path: String, defaultUpstreams: [Endpoint]) throws(PolicyLoadError) -> PolicySnapshot {
        let policy: Policy
        do {
            policy = try PolicyLoader.load(path: path, knownDetectionKeys: knownDetectionKeys)
        } catch {
            throw .invalid(error)
        }
        return try PolicySnapshot(policy: policy, defaultUpstreams: defaultUpstreams)
    }

    /// The engine thresholds with the policy's `detection:` overrides applied.
    public static func detection(for policy: Policy) -> DetectionConfiguration {
        var detection = DetectionConfiguration.default
        _ = detection.apply(overrides: policy.detection.mapValues(\.value))
        return detection
    }

    /// The `detection:` keys a policy may set.
    public static let knownDetectionKeys = Set(DetectionConfiguration.tunableKeys.keys)

    /// The zones the engine never convicts: the built-in special-use zones plus the policy's
    /// `dns.local_zones` (its resolvers' search suffixes).
    public var localZones: LocalZones { LocalZones.defaults(adding: policy.localZones) }

    public var version: String { policy.version }

    /// The sandbox a client address belongs to (as ``Policy/sandbox(for:)`` decides: sandbox
    /// prefixes never overlap), else the top-level policy.
    package func context(for client: IPAddress) -> SandboxContext {
        for matcher in matchers where matcher.cidr.contains(client) { return matcher.context }
        return topLevel
    }
}

/// One resolved sandbox as the proxy uses it: the policy, and the settings the packet path reads
/// copied out of it once (reading a field of a struct held by a class costs nothing; copying the
/// struct out costs a retain per list it holds).
package final class SandboxContext: Sendable {
    package let policy: SandboxPolicy
    package let upstreams: [Endpoint]
    /// Which distinct upstream list this is: part of the cache key.
    package let upstreamGroup: Int
    /// NXDOMAIN or REFUSED, as `block_response` says.
    package let blockRcode: UInt16
    package let terms: EnforcementTerms
    package let sandboxID: SandboxID?
    package let maxAttempts: Int
    package let timeoutNanoseconds: Int64

    package var mode: PolicyMode { terms.mode }
    package var name: String? { terms.sandbox }

    init(policy: SandboxPolicy, upstreams: [Endpoint], upstreamGroup: Int) {
        self.policy = policy
        self.upstreams = upstreams
        self.upstreamGroup = upstreamGroup
        self.blockRcode = policy.dns.blockResponse == .refused ? DNSResponseCode.refused : DNSResponseCode.nxDomain
        self.terms = EnforcementTerms(policy)
        self.sandboxID = policy.sandboxID
        self.maxAttempts = max(policy.dns.attempts, 1)
        self.timeoutNanoseconds = Int64(max(policy.dns.timeoutMilliseconds, 1)) * 1_000_000
    }

    package func decideDNS(name: DNSName, qtype: UInt16) -> PolicyDecision {
        policy.decideDNS(name: name, qtype: qtype)
    }

    /// The first answer address rebinding protection refuses, nil when none.
    package func rebinding(_ message: DNSMessage, name: DNSName) -> PolicyDecision? {
        DNSEnforcer.rebinding(message, name: name, sandbox: policy)
    }
}
