import AirlockEvents

/// `airlock check-policy FILE`: validate a policy and say what it means, or list every error.
///
/// A library function so the CLI stays a thin shell and tests can check the exact output.
public enum PolicyChecker {
    /// - Returns: `ok` false when the policy does not load; `output` is the text to print (errors
    ///   as `FILE:LINE:COL: message` lines and a count, or a summary of the resolved policy), plus
    ///   any warnings, ending in a newline.
    public static func check(path: String, knownDetectionKeys: Set<String> = []) -> (ok: Bool, output: String) {
        do {
            let policy = try PolicyLoader.load(path: path, knownDetectionKeys: knownDetectionKeys)
            return (true, summary(policy))
        } catch {
            let count = error.diagnostics.count
            let lines = error.diagnostics.map(\.description) + ["\(path): \(count) error\(count == 1 ? "" : "s")"]
            return (false, lines.joined(separator: "\n") + "\n")
        }
    }

    /// What the policy does, one line per part: enough to confirm the file says what was meant.
    public static func summary(_ policy: Policy) -> String {
        var lines = ["\(policy.file): OK, policy version sha256:\(policy.version)"]
        lines.append("  top level: mode \(policy.defaults.mode.rawValue)")
        lines += describe(policy.defaults)
        for sandbox in policy.sandboxes {
            let match = sandbox.match.map(\.cidr.description).joined(separator: ", ")
            lines.append("  sandbox \(sandbox.name ?? "?") (\(match)): mode \(sandbox.mode.rawValue)")
            lines += describe(sandbox)
        }
        if !policy.localZones.isEmpty {
            lines.append("  local zones (never convicted): " + policy.localZones.joined(separator: ", "))
        }
        if !policy.detection.isEmpty {
            let overrides = policy.detection.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.value)" }
            lines.append("  detection overrides: " + overrides.joined(separator: ", "))
        }
        if let fleet = policy.fleet { lines.append("  fleet: \(fleet)") }
        let warnings = policy.warnings + crossSectionWarnings(policy)
        lines += warnings.map(\.description)
        if !warnings.isEmpty {
            lines.append("\(policy.file): \(warnings.count) warning\(warnings.count == 1 ? "" : "s")")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private static func describe(_ sandbox: SandboxPolicy) -> [String] {
        let dns = sandbox.dns
        let http = sandbox.http
        let types = dns.allowedTypes.map { $0.sorted().map(RecordTypeNames.name).joined(separator: " ") } ?? "all"
        let upstreams =
            dns.upstreams.isEmpty ? "from the proxy" : dns.upstreams.map(\.description).joined(separator: " ")
        return [
            "    dns:  default \(dns.defaultAction.rawValue), \(count(dns.rules, .allow)) allow / \(count(dns.rules, .deny)) deny rules, "
                + "blocked names get \(dns.blockResponse.rawValue); types \(types)",
            "          quarantine \(dns.quarantineSeconds) s, leak budget \(dns.leakBudget), "
                + "\(dns.privateAnswersAllowed.rules.count) rebinding exceptions; upstreams \(upstreams) "
                + "(timeout \(dns.timeoutMilliseconds) ms, \(dns.attempts) attempts)"
                + (dns.feeds.isEmpty
                    ? "" : "; feeds " + dns.feeds.map { "\($0.name) (\($0.format.rawValue), \($0.entries) entries)" }.joined(separator: ", ")),
            "    http: default \(http.defaultAction.rawValue), \(count(http.rules, .allow)) allow / \(count(http.rules, .deny)) deny rules, "
                + "\(http.dohEndpoints.rules.count) extra DoH endpoints, \(http.allowPrivateDestinations.count) private destinations, "
                + "upload budget \(http.uploadBudget), information budget \(http.informationBudget)",
        ]
    }

    private static func count(_ rules: HostRuleSet, _ action: PolicyRule.Action) -> Int {
        rules.rules.count { $0.action == action }
    }

    /// Warnings that need two sections at once: an HTTP allow rule for names the same sandbox's DNS
    /// policy refuses (the HTTP proxy resolves through Airlock's DNS, so the request would fail at
    /// resolution). A rule for subdomains is judged on a subdomain of its base and on the base.
    public static func crossSectionWarnings(_ policy: Policy) -> [PolicyDiagnostic] {
        var out: [PolicyDiagnostic] = []
        var seen: Set<String> = []
        for sandbox in [policy.defaults] + policy.sandboxes {
            for rule in sandbox.http.rules.rules where rule.action == .allow {
                guard case .pattern(let pattern) = rule.host else { continue }
                var names = [pattern.base]
                if pattern.kind == .subdomains, let sub = DNSName("x." + pattern.base.description) { names = [sub] }
                // Only where HTTP would really allow it (a sandbox's own deny may override an inherited allow).
                let port = rule.ports?.min() ?? 443
                guard names.allSatisfy({ !sandbox.decideHTTP(host: $0.description, port: port).wouldBlock }) else { continue }
                let denials = names.map { sandbox.decideDNS(name: $0, qtype: DNSRecordType.a) }
                guard let denial = denials.first, denials.allSatisfy(\.wouldBlock) else { continue }
                // A top-level rule is copied into every sandbox: warn once per rule and DNS rule, naming
                // the sandbox only when its own DNS settings are what refuses.
                guard seen.insert("\(rule.id) \(denial.ruleID)").inserted else { continue }
                let field = rule.id + (sandbox.name.map { " (sandbox \($0))" } ?? "")
                out.append(
                    PolicyDiagnostic(
                        location: rule.location,
                        problem: .httpAllowDeniedByDNS(
                            field: field, rule: rule.description, name: names[0].description, dnsRule: denial.ruleID,
                            at: denial.location),
                        severity: .warning))
            }
        }
        return out
    }
}
