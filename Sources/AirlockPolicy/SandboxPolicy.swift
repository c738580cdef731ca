import AirlockEvents

/// The policy that applies to one client: the top-level policy with one sandbox's overrides merged
/// in (or the top-level policy alone for clients no sandbox matches). The decision functions are pure.
public struct SandboxPolicy: Sendable {
    /// The sandbox name; nil for the top-level policy.
    public var name: String?
    /// The client prefixes that select this sandbox (empty for the top-level policy).
    public var match: [CIDRRule]
    public var mode: PolicyMode
    public var modeOrigin: SettingOrigin
    public var dns: DNSPolicy
    public var http: HTTPPolicy

    /// The name as the events carry it (`SandboxID`), nil for the top-level policy.
    public var sandboxID: SandboxID? { name.map(SandboxID.init) }

    // MARK: DNS

    /// Decides a DNS question: list rules by precedence, then the default, then the record type.
    ///
    /// A name denied by a rule (or by `default: deny`) is denied whatever its type; a name that passes
    /// is still denied if its type is not in `allowed_types`.
    public func decideDNS(name: DNSName, qtype: UInt16) -> PolicyDecision {
        let subject = PolicyDecision.Subject.dnsQuery(name: name, qtype: qtype)
        let deny = PolicyAction.deny(dns.blockResponse)
        let nameDecision: PolicyDecision
        if let rule = dns.rules.bestMatch(name) {
            nameDecision = decision(rule.action == .deny ? deny : .allow, subject, .rule(rule), rule.id, rule.location)
        } else if let match = feedMatch(name) {
            // A feed names it and no rule of the policy's own does: the feed decides (its PASSTHRU
            // entries let a name through whatever the default says).
            let action: PolicyAction
            switch match.action {
            case .nxdomain, .drop: action = .deny(.nxdomain)
            case .nodata: action = .deny(.nodata)
            case .passthru: action = .allow
            }
            nameDecision = decision(action, subject, .feed(match), match.feedID, nil)
        } else {
            let action: PolicyAction = dns.defaultAction == .deny ? deny : .allow
            nameDecision = decision(
                action, subject, .defaultAction(dns.defaultAction), dns.defaultOrigin.id, dns.defaultOrigin.location)
        }
        if nameDecision.action.isDeny { return nameDecision }
        if let allowed = dns.allowedTypes, !allowed.contains(qtype) {
            return decision(deny, subject, .typeNotAllowed, dns.allowedTypesOrigin.id, dns.allowedTypesOrigin.location)
        }
        return nameDecision
    }

    /// The first feed entry for `name` in feed order; a PASSTHRU in any feed wins over blocks, as a
    /// response-policy exception list does.
    public func feedMatch(_ name: DNSName) -> FeedMatch? {
        var first: FeedMatch?
        for feed in dns.feeds {
            guard let match = feed.match(name) else { continue }
            if match.action == .passthru { return match }
            if first == nil { first = match }
        }
        return first
    }

    /// Decides one address in an answer for `name`: private, loopback, link-local and other non-global
    /// addresses are refused (DNS rebinding) unless `dns.rebinding.allow_private_answers_for` covers the name.
    public func decideDNSAnswer(name: DNSName, address: IPAddress) -> PolicyDecision {
        let subject = PolicyDecision.Subject.dnsAnswer(name: name, address: address)
        guard let category = SpecialAddress.category(of: address) else {
            return decision(.allow, subject, .publicAddress, "dns.rebinding", nil)
        }
        if let rule = dns.privateAnswersAllowed.bestMatch(name) {
            return decision(.allow, subject, .rule(rule), rule.id, rule.location)
        }
        return decision(
            .deny(dns.blockResponse), subject, .privateAddress(category: category),
            "dns.rebinding.allow_private_answers_for", nil)
    }

    // MARK: HTTP

    /// Decides an HTTP request or CONNECT to `host` (a name, an IPv4 address or an IPv6 address with or
    /// without brackets; any case, trailing dot allowed): DoH endpoints first, then list rules by
    /// precedence (rules limited to ports apply only on those ports), then the default.
    ///
    /// Host names must be letters, digits, `-`, `_` and dots, and must not end in an all-numeric
    /// label: anything else (a NUL, a space, a percent sign, `127.1`, `0x7f.1`) is denied, because the
    /// name that is matched must be the name that is resolved.
    public func decideHTTP(host: String, port: UInt16) -> PolicyDecision {
        let subject = PolicyDecision.Subject.http(host: host, port: port)
        let deny = PolicyAction.deny(.forbidden)
        let target = HTTPHost.parse(host)
        let dohRule: PolicyRule?
        let listRule: PolicyRule?
        switch target {
        case .none:
            return decision(deny, subject, .invalidHost, "http.host", nil)
        case .name(let name)?:
            dohRule = http.dohEndpoints.bestMatch(name)
            listRule = http.rules.bestMatch(name, port: port)
        case .address(let address)?:
            dohRule = http.dohEndpoints.bestMatch(address)
            listRule = http.rules.bestMatch(address, port: port)
        }
        if let rule = dohRule {
            return decision(deny, subject, .rule(rule), rule.id, rule.location)
        }
        if let rule = listRule {
            return decision(rule.action == .deny ? deny : .allow, subject, .rule(rule), rule.id, rule.location)
        }
        let action: PolicyAction = http.defaultAction == .deny ? deny : .allow
        return decision(
            action, subject, .defaultAction(http.defaultAction), http.defaultOrigin.id, http.defaultOrigin.location)
    }

    /// Decides the address an allowed HTTP host resolved to, before connecting: non-global
    /// addresses are refused unless `http.allow_private_destinations` covers them.
    public func decideHTTPDestination(address: IPAddress) -> PolicyDecision {
        let subject = PolicyDecision.Subject.destination(address)
        guard let category = SpecialAddress.category(of: address) else {
            return decision(.allow, subject, .publicAddress, "http.allow_private_destinations", nil)
        }
        if let rule = http.allowPrivateDestinations.first(where: { $0.cidr.contains(address) }) {
            return decision(
                .allow, subject, .privateAddressAllowed(category: category, rule: rule), rule.id, rule.location)
        }
        return decision(
            .deny(.forbidden), subject, .privateAddress(category: category), "http.allow_private_destinations", nil)
    }

    private func decision(
        _ action: PolicyAction, _ subject: PolicyDecision.Subject, _ basis: PolicyDecision.Basis, _ ruleID: String,
        _ location: SourceLocation?
    ) -> PolicyDecision {
        PolicyDecision(
            action: action, mode: mode, sandbox: name, subject: subject, basis: basis, ruleID: ruleID,
            location: location)
    }
}

/// An HTTP request's host, checked and split into name or address.
enum HTTPHost {
    case name(DNSName)
    case address(IPAddress)

    /// A last label of digits or `0x` hex: no real top-level domain looks like that (RFC 3696 §2),
    /// but `inet_aton` reads such hosts as addresses (`127.1`, `0x7f.1`, `2130706433` are all
    /// 127.0.0.1), which would slip an address past rules written for its canonical form.
    private static func looksNumeric(_ label: Substring) -> Bool {
        let lower = label.lowercased()
        if lower.hasPrefix("0x") { return lower.dropFirst(2).allSatisfy(\.isHexDigit) }
        return lower.allSatisfy { $0.isASCII && $0.isNumber }
    }

    /// nil for anything that is not a plain host name or IP literal (in its canonical form).
    static func parse(_ host: String) -> HTTPHost? {
        var text = Substring(host)
        if text.hasPrefix("[") && text.hasSuffix("]") {
            guard let address = IPAddress(text.dropFirst().dropLast()), !address.isIPv4 else { return nil }
            return .address(address)
        }
        if let address = IPAddress(text) {
            // Leading zeros are octal to inet_aton (`010.0.0.1` is 8.0.0.1): only the canonical form.
            if address.isIPv4 && address.description != text { return nil }
            return .address(address)
        }
        if text.hasSuffix(".") { text = text.dropLast() }
        guard !text.isEmpty, text.utf8.count <= 253 else { return nil }
        var labelLength = 0
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "."):
                guard labelLength > 0 else { return nil }
                labelLength = 0
                continue
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"):
                labelLength += 1
                guard labelLength <= 63 else { return nil }
            default:
                return nil
            }
        }
        guard labelLength > 0, !looksNumeric(text.split(separator: ".").last ?? ""),
            let name = DNSName(String(text))
        else { return nil }
        return .name(name)
    }
}
