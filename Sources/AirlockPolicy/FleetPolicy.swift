import AirlockEvents

/// The `fleet:` section: many Airlock instances sharing convictions and leak budgets through one
/// Redis (see `Sources/AirlockFleet/README.md`). Absent means the instance works alone.
///
/// Connection settings are read once when `airlock serve` starts; a reload that changes them is
/// reported and takes effect at the next start.
public struct FleetPolicy: Sendable, Hashable, CustomStringConvertible {
    /// What the instances share.
    public enum Share: String, Sendable, CaseIterable {
        /// Quarantines after tunnel verdicts: one instance's conviction is every instance's.
        case convictions
        /// Bytes of name information per registered domain, counted over the whole fleet.
        case leakBudget = "leak_budget"
    }

    /// What one fleet leak budget counts: every sandbox's names to a domain together, or each
    /// sandbox name's (the same sandbox name on every host is one group).
    public enum BudgetScope: String, Sendable, CaseIterable {
        case domain
        case sandbox
    }

    /// TLS to Redis (Debian's Redis speaks it on `tls-port`).
    public struct TLS: Sendable, Hashable {
        /// PEM file of the CA that signed Redis's certificate; nil: the system trust store.
        public var caFile: String?
        /// The name the certificate must carry; nil: the host of ``FleetPolicy/redis``.
        public var serverName: String?

        public init(caFile: String? = nil, serverName: String? = nil) {
            self.caFile = caFile
            self.serverName = serverName
        }
    }

    /// Where Redis listens: an address or a host name (resolved at every connection attempt).
    public var redis: HostPort
    /// The Redis ACL user (`AUTH user password`); nil: `AUTH password` (the default user).
    public var username: String?
    /// The password, read from `password_file` when the policy is loaded; never logged.
    public var password: String?
    public var passwordFile: String?
    public var tls: TLS?
    /// This instance's name in the fleet: from the policy, else `--fleet-instance`, else the host name.
    public var instance: String?
    /// Every key Airlock writes starts with this and a colon, so several fleets can share a Redis.
    public var keyPrefix: String
    public var shareConvictions: Bool
    public var shareLeakBudget: Bool
    /// The fleet-wide budget: bytes of name information per window, summed over every instance.
    public var leakBudget: Budget
    public var budgetScope: BudgetScope
    /// How often counters are sent and convictions fetched (the lag of the shared figures).
    public var syncIntervalMilliseconds: Int
    /// Budget keys (domain, or sandbox and domain) one instance counts fleet-wide at a time; names
    /// to further domains count against the local budget only until older keys expire.
    public var maxBudgetKeys: Int
    /// Convictions kept in Redis's stream (oldest dropped first) and remembered per instance.
    public var maxConvictions: Int
    /// Where `fleet:` was written.
    public var location: SourceLocation

    public static let defaultPort: UInt16 = 6379
    public static let defaultKeyPrefix = "airlock"
    public static let defaultLeakBudget = Budget(bytes: 16_384, windowSeconds: 300)
    public static let defaultSyncIntervalMilliseconds = 200
    public static let defaultMaxBudgetKeys = 65_536
    public static let defaultMaxConvictions = 16_384

    public init(redis: HostPort, location: SourceLocation) {
        self.redis = redis
        self.location = location
        keyPrefix = Self.defaultKeyPrefix
        shareConvictions = true
        shareLeakBudget = true
        leakBudget = Self.defaultLeakBudget
        budgetScope = .domain
        syncIntervalMilliseconds = Self.defaultSyncIntervalMilliseconds
        maxBudgetKeys = Self.defaultMaxBudgetKeys
        maxConvictions = Self.defaultMaxConvictions
    }

    /// Everything but the password.
    public var description: String {
        var parts = ["redis \(redis)"]
        if tls != nil { parts.append("tls") }
        if let username { parts.append("user \(username)") }
        if password != nil { parts.append("password from \(passwordFile ?? "file")") }
        parts.append("prefix \(keyPrefix)")
        var shared: [String] = []
        if shareConvictions { shared.append("convictions") }
        if shareLeakBudget { shared.append("leak budget \(leakBudget) per \(budgetScope.rawValue)") }
        parts.append("sharing " + (shared.isEmpty ? "nothing" : shared.joined(separator: " and ")))
        parts.append("sync every \(syncIntervalMilliseconds) ms")
        return parts.joined(separator: ", ")
    }

    /// Instance names and key prefixes go into Redis keys, logs and metrics: letters, digits, `-`,
    /// `_` and `.`, at most 64.
    public static func nameProblem(_ name: String) -> String? {
        if name.isEmpty { return "empty" }
        if name.utf8.count > 64 { return "longer than 64 characters" }
        let ok = name.utf8.allSatisfy { b in
            (b >= 0x61 && b <= 0x7A) || (b >= 0x41 && b <= 0x5A) || (b >= 0x30 && b <= 0x39) || b == 0x2D || b == 0x5F
                || b == 0x2E
        }
        return ok ? nil : "use letters, digits, '-', '_' and '.' only"
    }
}
