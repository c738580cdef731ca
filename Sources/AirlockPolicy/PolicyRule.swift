import AirlockEvents

/// One entry of an allow, deny or exception list, with the id decisions report it by.
public struct PolicyRule: Hashable, Sendable, CustomStringConvertible {
    public enum Action: String, Hashable, Sendable {
        case allow
        case deny
    }

    /// What the rule names: a domain pattern, or (HTTP only) one literal IP address.
    public enum Host: Hashable, Sendable, CustomStringConvertible {
        case pattern(HostPattern)
        case address(IPAddress)

        public var description: String {
            switch self {
            case .pattern(let pattern): return pattern.description
            case .address(let address): return address.description
            }
        }
    }

    /// The list and index it came from, e.g. `dns.deny[3]` or `sandboxes[0].http.allow[1]`.
    public var id: String
    public var action: Action
    public var host: Host
    /// HTTP destination ports the rule is limited to; nil means every port (DNS rules: always nil).
    public var ports: Set<UInt16>?
    public var location: SourceLocation

    public init(id: String, action: Action, host: Host, ports: Set<UInt16>? = nil, location: SourceLocation) {
        self.id = id
        self.action = action
        self.host = host
        self.ports = ports
        self.location = location
    }

    /// `.example.com`, or `api.example.com ports 443,8443`.
    public var description: String {
        guard let ports else { return host.description }
        return host.description + " ports " + ports.sorted().map(String.init).joined(separator: ",")
    }

    func applies(toPort port: UInt16?) -> Bool {
        guard let ports, let port else { return true }
        return ports.contains(port)
    }
}

/// A set of host rules indexed for most-specific-match lookup.
///
/// Rules are keyed by the wire form of their base name, so finding the best rule for a name costs one
/// hash lookup per label of the name (longest suffix first) however long the lists are.
///
/// Precedence, in order (see the README):
/// 1. the rule whose base has the most labels wins (most specific);
/// 2. at the same base, an exact pattern beats `*.` and `.` patterns;
/// 3. still tied: deny beats allow;
/// 4. still tied: the rule listed first wins (top-level rules come before a sandbox's own).
public struct HostRuleSet: Sendable {
    public private(set) var rules: [PolicyRule]
    private var byBase: [ArraySlice<UInt8>: [Int]] = [:]
    private var byAddress: [IPAddress: [Int]] = [:]

    public init(_ rules: [PolicyRule] = []) {
        self.rules = []
        for rule in rules { append(rule) }
    }

    public mutating func append(_ rule: PolicyRule) {
        let index = rules.count
        rules.append(rule)
        switch rule.host {
        case .pattern(let pattern): byBase[pattern.base.wire[...], default: []].append(index)
        case .address(let address): byAddress[address.unmappedIPv4, default: []].append(index)
        }
    }

    public var isEmpty: Bool { rules.isEmpty }

    /// The rule that decides `name` (on `port`, for HTTP rules), or nil when none matches.
    public func bestMatch(_ name: DNSName, port: UInt16? = nil) -> PolicyRule? {
        guard !byBase.isEmpty else { return nil }
        let wire = name.wire
        let labels = name.labelCount
        var offset = 0
        var remaining = labels  // labels in the suffix starting at `offset`
        while remaining > 0 {
            if let candidates = byBase[wire[offset...]] {
                var best: PolicyRule?
                var bestRank = -1
                for index in candidates {
                    let rule = rules[index]
                    guard case .pattern(let pattern) = rule.host, rule.applies(toPort: port) else { continue }
                    let isWhole = remaining == labels
                    let matches: Bool
                    switch pattern.kind {
                    case .exact: matches = isWhole
                    case .subdomains: matches = !isWhole
                    case .domainAndSubdomains: matches = true
                    }
                    guard matches else { continue }
                    let rank = (pattern.kind == .exact ? 2 : 0) + (rule.action == .deny ? 1 : 0)
                    if rank > bestRank {
                        best = rule
                        bestRank = rank
                    }
                }
                if let best { return best }
            }
            offset += Int(wire[offset]) + 1
            remaining -= 1
        }
        return nil
    }

    /// The rule for a literal address (HTTP rules written as an IP), deny first, then list order.
    public func bestMatch(_ address: IPAddress, port: UInt16? = nil) -> PolicyRule? {
        guard let candidates = byAddress[address.unmappedIPv4] else { return nil }
        let applicable = candidates.map { rules[$0] }.filter { $0.applies(toPort: port) }
        return applicable.first { $0.action == .deny } ?? applicable.first
    }
}

/// An entry of a CIDR list (`http.allow_private_destinations`).
public struct CIDRRule: Hashable, Sendable {
    public var id: String
    public var cidr: CIDR
    public var location: SourceLocation

    public init(id: String, cidr: CIDR, location: SourceLocation) {
        self.id = id
        self.cidr = cidr
        self.location = location
    }
}
