import AirlockEngine
import AirlockEvents
import AirlockPolicy

/// A loaded policy plus what the proxy derives from it once: each sandbox's upstream list (the
/// policy's, else the command line's) and a number per distinct list, so the packet cache never
/// serves one sandbox an answer fetched from another sandbox's resolvers.
public final class PolicySnapshot: Sendable {
    public let policy: Policy
    /// The engine configuration the policy's `detection:` section asks for.
    public let detection: DetectionConfiguration
    private let groups: [String?: UpstreamGroup]

    struct UpstreamGroup: Sendable {
        var upstreams: [Endpoint]
        var id: Int
    }

    /// Fails when some sandbox would have no upstream at all.
    public init(policy: Policy, defaultUpstreams: [Endpoint]) throws(ProxyError) {
        self.policy = policy
        self.detection = Self.detection(for: policy)
        var lists: [[Endpoint]] = []
        var groups: [String?: UpstreamGroup] = [:]
        for sandbox in [policy.defaults] + policy.sandboxes {
            let upstreams = sandbox.dns.upstreams.isEmpty ? defaultUpstreams : sandbox.dns.upstreams
            guard !upstreams.isEmpty else { throw .noUpstreams }
            let id = lists.firstIndex(of: upstreams) ?? lists.count
            if id == lists.count { lists.append(upstreams) }
            groups[sandbox.name] = UpstreamGroup(upstreams: upstreams, id: id)
        }
        self.groups = groups
    }

    /// Loads and validates a policy file (engine threshold keys checked against the engine's list).
    public static func load(path: String, defaultUpstreams: [Endpoint]) throws(ProxyError) -> PolicySnapshot {
        let policy: Policy
        do {
            policy = try PolicyLoader.load(path: path, knownDetectionKeys: knownDetectionKeys)
        } catch {
            throw .policy(error)
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

    public var version: String { policy.version }

    /// The upstreams for a resolved sandbox policy, and the cache partition they form.
    func upstreams(for sandbox: SandboxPolicy) -> UpstreamGroup {
        groups[sandbox.name] ?? groups[nil]!
    }
}
