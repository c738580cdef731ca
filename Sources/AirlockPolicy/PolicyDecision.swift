import AirlockEvents

/// The answer of a decision function: what to do, under which mode, because of which rule.
///
/// Cheap to build (no strings are formatted until ``reason`` or ``description`` is read), so the
/// proxies can decide every query and format only the ones they log.
public struct PolicyDecision: Sendable, CustomStringConvertible {
    /// What was decided about.
    public enum Subject: Hashable, Sendable {
        case dnsQuery(name: DNSName, qtype: UInt16)
        case dnsAnswer(name: DNSName, address: IPAddress)
        case http(host: String, port: UInt16)
        case destination(IPAddress)
    }

    /// Why, in structured form; ``reason`` renders it.
    public enum Basis: Hashable, Sendable {
        /// A list rule matched (allow, deny, DoH endpoint, rebinding exception).
        case rule(PolicyRule)
        /// No rule matched; the section's default applied.
        case defaultAction(DefaultAction)
        /// The query type is not in `dns.allowed_types`.
        case typeNotAllowed
        /// An HTTP host that is neither a host name nor an IP address.
        case invalidHost
        /// A private/loopback/link-local address (category in words) with no exception covering it.
        case privateAddress(category: String)
        /// A private address allowed by a CIDR exception.
        case privateAddressAllowed(category: String, rule: CIDRRule)
        /// A global address: nothing to check.
        case publicAddress
        /// A threat-intelligence feed's entry (RPZ, hosts or domain list).
        case feed(FeedMatch)
    }

    public var action: PolicyAction
    public var mode: PolicyMode
    /// The sandbox whose policy decided, nil for the top-level policy.
    public var sandbox: String?
    public var subject: Subject
    public var basis: Basis
    /// The rule or setting id: `dns.deny[3]`, `dns.default`, `dns.allowed_types`, `http.doh_endpoints[0]`...
    public var ruleID: String
    /// Where that rule or setting is written (nil for built-in defaults).
    public var location: SourceLocation?

    public init(
        action: PolicyAction, mode: PolicyMode, sandbox: String?, subject: Subject, basis: Basis, ruleID: String,
        location: SourceLocation?
    ) {
        self.action = action
        self.mode = mode
        self.sandbox = sandbox
        self.subject = subject
        self.basis = basis
        self.ruleID = ruleID
        self.location = location
    }

    /// The pattern of the matched rule (`.example.com`), if a list rule decided.
    public var pattern: String? {
        switch basis {
        case .rule(let rule): return rule.host.description
        case .privateAddressAllowed(_, let rule): return rule.cidr.description
        default: return nil
        }
    }

    /// The policy says no (whatever the mode).
    public var wouldBlock: Bool { action.isDeny }
    /// The proxy must block: a deny under `enforce`.
    public var blocks: Bool { action.isDeny && mode == .enforce }
    /// The proxy should log this as a (would-be) block: a deny under `enforce` or `report`.
    public var shouldLog: Bool { action.isDeny && mode != .open }

    /// One human sentence saying why, naming the rule and where it is written.
    public var reason: String {
        let what = subjectText
        let at = location.map { " at \($0)" } ?? " (built-in default)"
        switch basis {
        case .rule(let rule):
            switch (subject, rule.action) {
            case (.dnsAnswer, _):
                return "\(what) is allowed by rebinding exception '\(rule.host)' (\(ruleID)\(at))"
            case (.http, .deny) where ruleID.contains("doh_endpoints"):
                return "\(what) is a DNS-over-HTTPS endpoint '\(rule.host)' (\(ruleID)\(at))"
            default:
                return "\(what) matches \(rule.action.rawValue) rule '\(rule)' (\(ruleID)\(at))"
            }
        case .defaultAction(let action):
            return "no allow or deny rule matches \(what); \(ruleID) is \(action.rawValue)\(at)"
        case .typeNotAllowed:
            return "\(what): record type is not in \(ruleID)\(at)"
        case .invalidHost:
            return "\(what) is not a valid host name or IP address"
        case .privateAddress(let category):
            return "\(what) is a \(category) address and no exception in \(ruleID) covers it"
        case .privateAddressAllowed(let category, let rule):
            return "\(what) is a \(category) address allowed by \(rule.cidr) (\(ruleID)\(at))"
        case .publicAddress:
            return "\(what) is a global address"
        case .feed(let match):
            return "\(what) matches feed '\(match.feedName)' entry '\(match.entry)' (\(match.action)) at "
                + "\(match.file):\(match.line) (\(ruleID))"
        }
    }

    private var subjectText: String {
        switch subject {
        case .dnsQuery(let name, let qtype):
            return "\(RecordTypeNames.name(qtype)) query for '\(name)'"
        case .dnsAnswer(let name, let address):
            return "answer \(address) for '\(name)'"
        case .http(let host, let port):
            return "'\(host.count > 80 ? host.prefix(80) + "..." : host)' port \(port)"
        case .destination(let address):
            return "destination \(address)"
        }
    }

    /// `deny (nxdomain) [enforce] sandbox agent-1: ...`, `would deny (nxdomain) [report] ...`.
    public var description: String {
        let verb = action.isDeny && mode != .enforce ? "would \(action)" : action.description
        return "\(verb) [\(mode.rawValue)] sandbox \(sandbox ?? "(default)"): \(reason)"
    }
}
