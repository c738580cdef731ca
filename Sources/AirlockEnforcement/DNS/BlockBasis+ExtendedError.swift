import AirlockDNSWire
import AirlockEvents
import AirlockPolicy

extension BlockBasis {
    /// The Extended DNS Error (RFC 8914) a blocked answer carries, naming the rule:
    /// `airlock: dns.quarantine_seconds tunnel verdict on pirate.sea`.
    ///
    /// INFO-CODE: 15 Blocked for the operator's security policy about a name (deny rules, default
    /// deny, quarantine after a tunnel verdict, leak budget); 18 Prohibited for a record type this
    /// sandbox may not ask for (the name may be fine, the client is not authorised for the query);
    /// 17 Filtered for an upstream answer withheld because its address is refused (rebinding).
    /// The text names the rule id and what matched, never the policy file's path.
    public func extendedError(name: DNSName) -> ExtendedDNSError {
        let text: String
        var code = ExtendedDNSError.blocked
        switch self {
        case .policy(let decision):
            switch decision.basis {
            case .typeNotAllowed:
                code = ExtendedDNSError.prohibited
                if case .dnsQuery(_, let qtype) = decision.subject {
                    text = "\(decision.ruleID) \(DNSRecordType.name(qtype)) not allowed on \(name)"
                } else {
                    text = "\(decision.ruleID) record type not allowed on \(name)"
                }
            case .rule(let rule): text = "\(decision.ruleID) '\(rule.host)' on \(name)"
            case .feed(let match):
                text = "\(decision.ruleID) feed \(match.feedName) entry '\(match.entry)' (\(match.action)) on \(name)"
            case .defaultAction: text = "\(decision.ruleID) deny on \(name)"
            default: text = "\(decision.ruleID) on \(name)"
            }
        case .quarantine(let domain, _, _, let conviction):
            text = "\(rule) tunnel verdict on \(domain.value)" + (conviction?.instance.map { " by \($0)" } ?? "")
        case .leakBudget(let domain, _, _, let budget, let fleet):
            text = "\(rule) \(budget) of name information spent on \(domain.value)" + (fleet ? " by the fleet" : "")
        case .rebinding(let decision):
            code = ExtendedDNSError.filtered
            if case .dnsAnswer(_, let address) = decision.subject, case .privateAddress(let category) = decision.basis {
                text = "\(decision.ruleID) answer \(address) is \(category) for \(name)"
            } else {
                text = "\(decision.ruleID) answer refused for \(name)"
            }
        }
        return ExtendedDNSError(infoCode: code, extraText: "airlock: " + text)
    }

    /// The RCODE a block answers with: the policy's `block_response`, except where a feed's entry says
    /// which answer it wants (RPZ NXDOMAIN, or NODATA: NOERROR with no records).
    public func responseCode(default rcode: UInt16) -> UInt16 {
        guard case .policy(let decision) = self, case .feed = decision.basis else { return rcode }
        switch decision.action {
        case .deny(.nodata): return DNSResponseCode.noError
        case .deny(.nxdomain): return DNSResponseCode.nxDomain
        default: return rcode
        }
    }

    /// A threat-intelligence feed refused it (such a block raises an alert).
    public var isFeed: Bool {
        if case .policy(let decision) = self, case .feed = decision.basis { return true }
        return false
    }
}
