import AirlockEvents

/// What the proxies do with a "deny" decision.
public enum PolicyMode: String, Hashable, Sendable, CaseIterable {
    /// Block, and log the block.
    case enforce
    /// Forward anyway, and log "would block": for rolling out a policy without breaking the agent.
    case report
    /// Forward and do not log would-blocks: the policy is off for this sandbox (decisions still say
    /// what it would have done, for anyone who asks).
    case open
}

/// The action for names or hosts no list rule matches.
public enum DefaultAction: String, Hashable, Sendable, CaseIterable {
    case allow
    case deny
}

/// How a blocked request is answered.
public enum BlockResponse: String, Hashable, Sendable, CaseIterable {
    /// DNS: NXDOMAIN, "no such name" (clients stop quickly, and caches remember it).
    case nxdomain
    /// DNS: REFUSED, "not allowed" (clients may try another resolver).
    case refused
    /// DNS: NOERROR with an empty answer ("no records of this type"): an RPZ NODATA action.
    case nodata
    /// HTTP: 403 Forbidden (a CONNECT or request the HTTP proxy refuses).
    case forbidden
}

/// What a decision tells the proxy to do (before the mode is applied: see ``PolicyDecision/blocks``).
public enum PolicyAction: Hashable, Sendable, CustomStringConvertible {
    case allow
    case deny(BlockResponse)

    public var isDeny: Bool { if case .deny = self { return true } else { return false } }

    public var description: String {
        switch self {
        case .allow: return "allow"
        case .deny(let response): return "deny (\(response.rawValue))"
        }
    }
}

/// A byte budget over a sliding window: how much a sandbox may send through a channel before the
/// proxy treats more as exfiltration.
public struct Budget: Hashable, Sendable, CustomStringConvertible {
    public var bytes: Int
    public var windowSeconds: Int

    public init(bytes: Int, windowSeconds: Int) {
        self.bytes = bytes
        self.windowSeconds = windowSeconds
    }

    public var description: String { "\(bytes) bytes per \(windowSeconds) s" }
}

/// Where a setting's value came from: its id (`dns.default`, `sandboxes[1].mode`) and, when the
/// file set it, the line (nil for a built-in default).
public struct SettingOrigin: Hashable, Sendable, CustomStringConvertible {
    public var id: String
    public var location: SourceLocation?

    public init(id: String, location: SourceLocation?) {
        self.id = id
        self.location = location
    }

    public var description: String {
        location.map { "\(id) at \($0)" } ?? "\(id) (built-in default)"
    }
}

/// A detection threshold override from the `detection:` section, with where it was written.
public struct DetectionOverride: Hashable, Sendable {
    public var value: Double
    public var location: SourceLocation

    public init(value: Double, location: SourceLocation) {
        self.value = value
        self.location = location
    }
}

/// The DNS half of a resolved sandbox policy.
public struct DNSPolicy: Sendable {
    public var defaultAction: DefaultAction
    public var defaultOrigin: SettingOrigin
    public var blockResponse: BlockResponse
    /// `allow` and `deny` together (top-level rules first, then the sandbox's own).
    public var rules: HostRuleSet
    /// Query types let through; nil means every type (`allowed_types: all`).
    public var allowedTypes: Set<UInt16>?
    public var allowedTypesOrigin: SettingOrigin
    /// How long a registered domain stays blocked after a tunnel verdict; 0 disables quarantine.
    public var quarantineSeconds: Int
    /// Bytes of name information per registered domain per window.
    public var leakBudget: Budget
    /// Names whose answers may be private, loopback or link-local addresses (rebinding exceptions).
    public var privateAnswersAllowed: HostRuleSet
    /// Resolvers the DNS proxy forwards to; empty means the proxy's own configuration decides.
    public var upstreams: [Endpoint]
    public var timeoutMilliseconds: Int
    public var attempts: Int
    /// Threat-intelligence feeds (RPZ, hosts, domain lists), top-level ones first, then the
    /// sandbox's own; consulted for names no allow or deny rule names, before the default.
    public var feeds: [FeedTable] = []

    /// Types allowed when a policy does not say: ordinary lookups, not the tunnel carriers
    /// (NULL, ANY, zone transfers, private and unassigned types).
    public static let defaultAllowedTypes: Set<UInt16> = [
        DNSRecordType.a, DNSRecordType.aaaa, DNSRecordType.cname, DNSRecordType.https, DNSRecordType.svcb,
        DNSRecordType.mx, DNSRecordType.txt, DNSRecordType.srv, DNSRecordType.ptr, DNSRecordType.ns,
        DNSRecordType.soa, 257,  // CAA
    ]
}

/// The HTTP half of a resolved sandbox policy.
public struct HTTPPolicy: Sendable {
    public var defaultAction: DefaultAction
    public var defaultOrigin: SettingOrigin
    /// `allow` and `deny` together (top-level rules first, then the sandbox's own).
    public var rules: HostRuleSet
    /// DoH hosts refused whatever the allow list says (extra to the proxy's built-in list).
    public var dohEndpoints: HostRuleSet
    /// Private, loopback or link-local destinations the sandbox may nevertheless connect to.
    public var allowPrivateDestinations: [CIDRRule]
    /// Request-body bytes per destination registered domain per window.
    public var uploadBudget: Budget
    /// Bytes of novel information in plain-HTTP request heads (method, host, path and query, header
    /// fields forwarded) per destination registered domain per window: what a head tells the
    /// destination that the sandbox's previous head to it did not (the DNS leak budget's idea).
    public var informationBudget: Budget
}
