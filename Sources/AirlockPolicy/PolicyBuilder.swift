import AirlockEvents

/// Layers built-in defaults, the top level and each sandbox into resolved ``SandboxPolicy`` values,
/// and runs the checks that need more than one field (sandbox names, overlapping client ranges,
/// duplicate and dead rules).
///
/// Merge rule (documented in the README): a sandbox setting replaces the inherited one; rule lists
/// (`allow`, `deny`, `doh_endpoints`, `allow_private_answers_for`, `allow_private_destinations`)
/// are appended to the inherited lists; budgets merge field by field.
struct PolicyBuilder {
    private(set) var errors: [PolicyDiagnostic] = []
    private(set) var warnings: [PolicyDiagnostic] = []
    private var warned = Set<PolicyDiagnostic>()

    static let builtInDNS = DNSPolicy(
        defaultAction: .allow, defaultOrigin: SettingOrigin(id: "dns.default", location: nil),
        blockResponse: .nxdomain, rules: HostRuleSet(),
        allowedTypes: DNSPolicy.defaultAllowedTypes,
        allowedTypesOrigin: SettingOrigin(id: "dns.allowed_types", location: nil),
        quarantineSeconds: 600, leakBudget: Budget(bytes: 4096, windowSeconds: 300),
        privateAnswersAllowed: HostRuleSet(), upstreams: [], timeoutMilliseconds: 2000, attempts: 2)

    static let builtInHTTP = HTTPPolicy(
        defaultAction: .deny, defaultOrigin: SettingOrigin(id: "http.default", location: nil),
        rules: HostRuleSet(), dohEndpoints: HostRuleSet(), allowPrivateDestinations: [],
        uploadBudget: Budget(bytes: 10_485_760, windowSeconds: 300),
        informationBudget: Budget(bytes: 32_768, windowSeconds: 300))

    static let builtInMode = Located(value: PolicyMode.enforce, origin: SettingOrigin(id: "mode", location: nil))

    mutating func build(_ raw: RawPolicy, version: String, file: String) -> Policy {
        let mode = raw.mode ?? Self.builtInMode
        var top = SandboxPolicy(
            name: nil, match: [], mode: mode.value, modeOrigin: mode.origin,
            dns: resolve(raw.dns, over: Self.builtInDNS), http: resolve(raw.http, over: Self.builtInHTTP))
        feedDirectory = file.contains("/") ? String(file[..<file.lastIndex(of: "/")!]) : ""
        top.dns.feeds += loadFeeds(raw.dns.feeds)
        checkRules(top, inherited: nil)

        var sandboxes: [SandboxPolicy] = []
        var firstName: [String: SourceLocation] = [:]
        var claimed: [(rule: CIDRRule, sandbox: String)] = []
        for rawSandbox in raw.sandboxes {
            let name = rawSandbox.name?.value ?? rawSandbox.path
            if let located = rawSandbox.name, let location = located.origin.location {
                if let first = firstName[located.value] {
                    errors.append(
                        PolicyDiagnostic(
                            location: location, problem: .duplicateSandboxName(name: located.value, first: first)))
                } else {
                    firstName[located.value] = location
                }
            }
            for rule in rawSandbox.match {
                for other in claimed where other.rule.cidr.overlaps(rule.cidr) && other.sandbox != name {
                    errors.append(
                        PolicyDiagnostic(
                            location: rule.location,
                            problem: .overlappingSandboxes(
                                cidr: rule.cidr.description, sandbox: name, otherCIDR: other.rule.cidr.description,
                                otherSandbox: other.sandbox, otherLocation: other.rule.location)))
                }
            }
            claimed += rawSandbox.match.map { ($0, name) }
            let sandboxMode = rawSandbox.mode ?? Located(value: top.mode, origin: top.modeOrigin)
            var sandbox = SandboxPolicy(
                name: name, match: rawSandbox.match, mode: sandboxMode.value, modeOrigin: sandboxMode.origin,
                dns: resolve(rawSandbox.dns, over: top.dns), http: resolve(rawSandbox.http, over: top.http))
            sandbox.dns.feeds += loadFeeds(rawSandbox.dns.feeds)
            checkRules(sandbox, inherited: top)
            sandboxes.append(sandbox)
        }
        return Policy(
            version: version, schemaVersion: raw.version?.value ?? 1, file: file, defaults: top, sandboxes: sandboxes,
            detection: raw.detection, localZones: raw.dns.localZones, warnings: warnings,
            fleet: raw.fleet.flatMap { buildFleet($0) })
    }

    // MARK: Merge

    private func resolve(_ raw: RawDNS, over base: DNSPolicy) -> DNSPolicy {
        var dns = base
        if let value = raw.defaultAction {
            dns.defaultAction = value.value
            dns.defaultOrigin = value.origin
        }
        if let value = raw.blockResponse { dns.blockResponse = value.value }
        for rule in raw.allow + raw.deny { dns.rules.append(rule) }
        if let value = raw.allowedTypes {
            dns.allowedTypes = value.value
            dns.allowedTypesOrigin = value.origin
        }
        if let value = raw.quarantineSeconds { dns.quarantineSeconds = value.value }
        dns.leakBudget = merge(raw.leakBudget, over: base.leakBudget)
        for rule in raw.privateAnswersAllowed { dns.privateAnswersAllowed.append(rule) }
        if let value = raw.upstreams { dns.upstreams = value.value }
        if let value = raw.timeoutMilliseconds { dns.timeoutMilliseconds = value.value }
        if let value = raw.attempts { dns.attempts = value.value }
        return dns
    }

    private func resolve(_ raw: RawHTTP, over base: HTTPPolicy) -> HTTPPolicy {
        var http = base
        if let value = raw.defaultAction {
            http.defaultAction = value.value
            http.defaultOrigin = value.origin
        }
        for rule in raw.allow + raw.deny { http.rules.append(rule) }
        for rule in raw.dohEndpoints { http.dohEndpoints.append(rule) }
        http.allowPrivateDestinations += raw.allowPrivateDestinations
        http.uploadBudget = merge(raw.uploadBudget, over: base.uploadBudget)
        http.informationBudget = merge(raw.informationBudget, over: base.informationBudget)
        return http
    }

    private func merge(_ raw: RawBudget, over base: Budget) -> Budget {
        Budget(bytes: raw.bytes?.value ?? base.bytes, windowSeconds: raw.windowSeconds?.value ?? base.windowSeconds)
    }

    // MARK: Warnings

    /// Duplicate rules and allow rules a same-pattern deny makes dead, in the merged lists (so a
    /// sandbox allow that a top-level deny defeats is reported too). A sandbox's own deny of an
    /// inherited allow is an intended override, not a mistake. Each warning is reported once.
    private mutating func checkRules(_ sandbox: SandboxPolicy, inherited: SandboxPolicy?) {
        let lists = [
            (sandbox.dns.rules.rules, inherited?.dns.rules.rules.count ?? 0),
            (sandbox.http.rules.rules, inherited?.http.rules.rules.count ?? 0),
        ]
        for (rules, inheritedCount) in lists {
            var seen: [String: PolicyRule] = [:]
            for rule in rules {
                let key = rule.action.rawValue + " " + rule.description
                if let first = seen[key] {
                    warn(rule.location, .duplicateRule(field: rule.id, rule: rule.description, first: first.location))
                } else {
                    seen[key] = rule
                }
            }
            let denies = rules.enumerated().filter { $0.element.action == .deny }
            for (allowIndex, allow) in rules.enumerated() where allow.action == .allow {
                let allowInherited = allowIndex < inheritedCount
                let shadow = denies.first { denyIndex, deny in
                    !(allowInherited && denyIndex >= inheritedCount) && deny.host == allow.host
                        && (deny.ports == nil || allow.ports.map { $0.isSubset(of: deny.ports!) } == true)
                }
                if let (_, shadow) = shadow {
                    warn(
                        allow.location,
                        .shadowedRule(field: allow.id, rule: allow.description, by: shadow.id, at: shadow.location))
                }
            }
        }
    }

    /// Feed files are read here, with the policy: a reload (SIGHUP) reads them again. An unreadable
    /// feed refuses the policy (the old one keeps running); skipped lines are a warning.
    static let maxFeedBytes = 1 << 30

    /// The policy file's directory: relative feed paths are read from there.
    private var feedDirectory = ""

    private mutating func loadFeeds(_ raws: [RawFeed]) -> [FeedTable] {
        var tables: [FeedTable] = []
        for var raw in raws {
            if !raw.path.hasPrefix("/") && !feedDirectory.isEmpty { raw.path = feedDirectory + "/" + raw.path }
            switch FileReader.read(path: raw.path, limit: Self.maxFeedBytes) {
            case .success(let bytes):
                let table = FeedParser.parse(bytes, id: raw.id, name: raw.name, path: raw.path, format: raw.format)
                if table.skipped > 0 {
                    warn(
                        raw.location,
                        .feedLinesSkipped(
                            field: raw.id, path: raw.path, skipped: table.skipped, examples: table.skippedExamples))
                }
                tables.append(table)
            case .failure(.system(let reason)):
                errors.append(
                    PolicyDiagnostic(
                        location: raw.location, problem: .unreadableFeed(field: raw.id, path: raw.path, reason: reason)))
            case .failure(.tooLarge(let bytes)):
                errors.append(
                    PolicyDiagnostic(
                        location: raw.location,
                        problem: .unreadableFeed(
                            field: raw.id, path: raw.path, reason: "larger than \(Self.maxFeedBytes) bytes (\(bytes))")))
            }
        }
        return tables
    }

    /// The fleet section with its password read (first line, trailing newline dropped) and its CA
    /// file checked for readability; relative paths are read from the policy file's directory.
    private mutating func buildFleet(_ raw: RawFleet) -> FleetPolicy? {
        var fleet = raw.policy
        var failed = false
        func resolved(_ path: String) -> String {
            !path.hasPrefix("/") && !feedDirectory.isEmpty ? feedDirectory + "/" + path : path
        }
        func read(_ file: Located<String>, limit: Int) -> [UInt8]? {
            let path = resolved(file.value)
            let location = file.origin.location ?? fleet.location
            switch FileReader.read(path: path, limit: limit) {
            case .success(let bytes):
                return bytes
            case .failure(.system(let reason)):
                errors.append(
                    PolicyDiagnostic(
                        location: location, problem: .unreadableFile(field: file.origin.id, path: path, reason: reason)))
            case .failure(.tooLarge(let bytes)):
                errors.append(
                    PolicyDiagnostic(
                        location: location,
                        problem: .unreadableFile(
                            field: file.origin.id, path: path, reason: "larger than \(limit) bytes (\(bytes))")))
            }
            failed = true
            return nil
        }
        if let file = raw.passwordFile, let bytes = read(file, limit: 4096) {
            let line = bytes.split(separator: UInt8(ascii: "\n"), maxSplits: 1, omittingEmptySubsequences: false).first ?? []
            let password = String(decoding: line.last == UInt8(ascii: "\r") ? line.dropLast() : line, as: UTF8.self)
            if password.isEmpty {
                errors.append(
                    PolicyDiagnostic(
                        location: file.origin.location ?? fleet.location,
                        problem: .unreadableFile(field: file.origin.id, path: file.value, reason: "the first line is empty")))
                failed = true
            }
            fleet.password = password
            fleet.passwordFile = file.value
        }
        if let file = raw.caFile, read(file, limit: 1 << 20) != nil {
            fleet.tls?.caFile = resolved(file.value)
        }
        return failed ? nil : fleet
    }

    private mutating func warn(_ location: SourceLocation, _ problem: PolicyProblem) {
        let diagnostic = PolicyDiagnostic(location: location, problem: problem, severity: .warning)
        if warned.insert(diagnostic).inserted { warnings.append(diagnostic) }
    }
}
