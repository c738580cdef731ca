import AirlockEvents

/// Checks a YAML tree against the schema and turns it into a ``RawPolicy``, collecting every error
/// instead of stopping at the first: a bad entry is reported and left out, and decoding goes on.
struct PolicyDecoder: ConfigTreeReader {
    let knownDetectionKeys: Set<String>
    var diagnostics: [PolicyDiagnostic] = []

    init(knownDetectionKeys: Set<String>) {
        self.knownDetectionKeys = knownDetectionKeys
    }

    // MARK: Schema

    /// Each section's keys. Sections are decoded by switching over every case, so a key listed here
    /// without decoding does not compile.
    enum TopKey: String, CaseIterable {
        case version, mode, dns, http, detection, sandboxes, fleet
        /// The alerting configuration's (`airlock serve --alerts FILE` may name the policy file
        /// itself); the policy leaves it alone and `airlock check-policy` validates it.
        case alerts
    }
    enum DNSKey: String, CaseIterable {
        case `default`
        case blockResponse = "block_response"
        case allow, deny
        case allowedTypes = "allowed_types"
        case quarantineSeconds = "quarantine_seconds"
        case leakBudget = "leak_budget"
        case rebinding, upstreams
        case timeoutMilliseconds = "timeout_ms"
        case attempts, feeds
        case localZones = "local_zones"
    }
    enum FeedKey: String, CaseIterable { case name, path, format }
    enum HTTPKey: String, CaseIterable {
        case `default`, allow, deny
        case dohEndpoints = "doh_endpoints", allowPrivateDestinations = "allow_private_destinations"
        case uploadBudget = "upload_budget"
        case informationBudget = "information_budget"
    }
    enum BudgetKey: String, CaseIterable {
        case bytes
        case windowSeconds = "window_seconds"
    }
    enum RebindingKey: String, CaseIterable { case allowPrivateAnswersFor = "allow_private_answers_for" }
    enum HTTPRuleKey: String, CaseIterable { case host, ports }
    enum SandboxKey: String, CaseIterable { case name, match, mode, dns, http }

    static let quarantineRange = 0...86_400
    static let leakBytesRange = 1...16_777_216
    static let uploadBytesRange = 1...1_099_511_627_776
    static let windowRange = 1...86_400
    static let timeoutRange = 1...60_000
    static let attemptsRange = 1...10
    static let portRange = 1...65_535

    mutating func decode(_ root: YAMLNode) -> RawPolicy {
        var policy = RawPolicy()
        guard let fields = fields(of: root, path: "", TopKey.self, what: "the policy") else { return policy }
        for key in TopKey.allCases {
            let entry = fields[key]
            switch key {
            case .version:
                guard let entry else {
                    error(root.location, .missingKey(key: "version", section: ""))
                    continue
                }
                if let version = integer(entry.value, field: "version", range: Int.min...Int.max) {
                    if version != 1 {
                        error(entry.value.location, .unsupportedVersion(found: String(version)))
                    }
                    policy.version = located(version, "version", entry.value)
                }
            case .mode:
                guard let entry else { continue }
                policy.mode = choice(entry.value, field: "mode", PolicyMode.allCases).map {
                    located($0, "mode", entry.value)
                }
            case .dns:
                if let entry { policy.dns = decodeDNS(entry.value, path: "dns") }
            case .http:
                if let entry { policy.http = decodeHTTP(entry.value, path: "http") }
            case .detection:
                if let entry { policy.detection = decodeDetection(entry.value) }
            case .sandboxes:
                guard let entry, let items = sequence(entry.value, field: "sandboxes") else { continue }
                for (index, item) in items.enumerated() {
                    if let sandbox = decodeSandbox(item, path: "sandboxes[\(index)]") { policy.sandboxes.append(sandbox) }
                }
            case .fleet:
                if let entry { policy.fleet = decodeFleet(entry.value) }
            case .alerts:
                break
            }
        }
        return policy
    }

    // MARK: Sections

    private mutating func decodeDNS(_ node: YAMLNode, path: String) -> RawDNS {
        var dns = RawDNS()
        guard let fields = fields(of: node, path: path, DNSKey.self) else { return dns }
        for key in DNSKey.allCases {
            guard let entry = fields[key] else { continue }
            let value = entry.value
            let field = join(path, key.rawValue)
            switch key {
            case .default:
                dns.defaultAction = choice(value, field: field, DefaultAction.allCases).map {
                    located($0, field, value)
                }
            case .blockResponse:
                dns.blockResponse = choice(value, field: field, [BlockResponse.nxdomain, .refused]).map {
                    located($0, field, value)
                }
            case .allow:
                dns.allow = nameRules(value, field: field, action: .allow)
            case .deny:
                dns.deny = nameRules(value, field: field, action: .deny)
            case .allowedTypes:
                dns.allowedTypes = recordTypes(value, field: field).map { located($0, field, value) }
            case .quarantineSeconds:
                dns.quarantineSeconds = integer(value, field: field, range: Self.quarantineRange).map {
                    located($0, field, value)
                }
            case .leakBudget:
                dns.leakBudget = budget(value, field: field, bytesRange: Self.leakBytesRange)
            case .rebinding:
                if let rebinding = self.fields(of: value, path: field, RebindingKey.self),
                    let list = rebinding[.allowPrivateAnswersFor]
                {
                    dns.privateAnswersAllowed = nameRules(
                        list.value, field: field + ".allow_private_answers_for", action: .allow)
                }
            case .upstreams:
                dns.upstreams = upstreams(value, field: field).map { located($0, field, value) }
            case .timeoutMilliseconds:
                dns.timeoutMilliseconds = integer(value, field: field, range: Self.timeoutRange).map {
                    located($0, field, value)
                }
            case .attempts:
                dns.attempts = integer(value, field: field, range: Self.attemptsRange).map { located($0, field, value) }
            case .feeds:
                dns.feeds = feeds(value, field: field)
            case .localZones:
                // One detection engine judges every sandbox, and a zone's verdict covers all of them.
                guard path == "dns" else {
                    error(entry.keyLocation, .topLevelOnly(field: field))
                    continue
                }
                dns.localZones = nameRules(value, field: field, action: .allow).compactMap { rule in
                    guard case .pattern(let pattern) = rule.host else { return nil }
                    return pattern.base.description
                }
            }
        }
        return dns
    }

    private mutating func decodeHTTP(_ node: YAMLNode, path: String) -> RawHTTP {
        var http = RawHTTP()
        guard let fields = fields(of: node, path: path, HTTPKey.self) else { return http }
        for key in HTTPKey.allCases {
            guard let entry = fields[key] else { continue }
            let value = entry.value
            let field = join(path, key.rawValue)
            switch key {
            case .default:
                http.defaultAction = choice(value, field: field, DefaultAction.allCases).map {
                    located($0, field, value)
                }
            case .allow:
                http.allow = httpRules(value, field: field, action: .allow)
            case .deny:
                http.deny = httpRules(value, field: field, action: .deny)
            case .dohEndpoints:
                http.dohEndpoints = hostRules(value, field: field, action: .deny, allowAddresses: true)
            case .allowPrivateDestinations:
                http.allowPrivateDestinations = cidrs(value, field: field)
            case .uploadBudget:
                http.uploadBudget = budget(value, field: field, bytesRange: Self.uploadBytesRange)
            case .informationBudget:
                http.informationBudget = budget(value, field: field, bytesRange: Self.leakBytesRange)
            }
        }
        return http
    }

    private mutating func decodeDetection(_ node: YAMLNode) -> [String: DetectionOverride] {
        var overrides: [String: DetectionOverride] = [:]
        guard let entries = uniqueEntries(of: node, path: "detection", what: "detection") else { return overrides }
        let known = knownDetectionKeys.sorted()
        for entry in entries {
            guard knownDetectionKeys.contains(entry.key) else {
                let suggestion = Suggestion.closest(to: entry.key, in: known)
                error(entry.keyLocation, .unknownDetectionKey(key: entry.key, suggestion: suggestion, known: known))
                continue
            }
            if let value = number(entry.value, field: "detection." + entry.key) {
                overrides[entry.key] = DetectionOverride(value: value, location: entry.value.location)
            }
        }
        return overrides
    }

    private mutating func decodeSandbox(_ node: YAMLNode, path: String) -> RawSandbox? {
        guard let fields = fields(of: node, path: path, SandboxKey.self) else { return nil }
        var sandbox = RawSandbox(path: path, location: node.location)
        for key in SandboxKey.allCases {
            let entry = fields[key]
            let field = join(path, key.rawValue)
            switch key {
            case .name:
                guard let entry else {
                    error(node.location, .missingKey(key: "name", section: path))
                    continue
                }
                if let name = string(entry.value, field: field) {
                    if let reason = Self.sandboxNameProblem(name) {
                        error(entry.value.location, .badSandboxName(name: name, reason: reason))
                    } else {
                        sandbox.name = located(name, field, entry.value)
                    }
                }
            case .match:
                guard let entry else {
                    error(node.location, .missingKey(key: "match", section: path))
                    continue
                }
                sandbox.match = cidrs(entry.value, field: field)
                if case .sequence(let items) = entry.value.content, items.isEmpty {
                    error(
                        entry.value.location,
                        .wrongType(field: field, expected: "a non-empty list of CIDRs", found: "an empty list"))
                }
            case .mode:
                guard let entry else { continue }
                sandbox.mode = choice(entry.value, field: field, PolicyMode.allCases).map {
                    located($0, field, entry.value)
                }
            case .dns:
                if let entry { sandbox.dns = decodeDNS(entry.value, path: field) }
            case .http:
                if let entry { sandbox.http = decodeHTTP(entry.value, path: field) }
            }
        }
        return sandbox
    }

    /// Sandbox names go into logs and metrics labels: keep them to a safe alphabet.
    static func sandboxNameProblem(_ name: String) -> String? {
        if name.isEmpty { return "empty" }
        if name.utf8.count > 64 { return "longer than 64 characters" }
        let ok = name.utf8.allSatisfy { b in
            (b >= 0x61 && b <= 0x7A) || (b >= 0x41 && b <= 0x5A) || (b >= 0x30 && b <= 0x39) || b == 0x2D || b == 0x5F
                || b == 0x2E
        }
        return ok ? nil : "use letters, digits, '-', '_' and '.' only"
    }

    // MARK: Lists

    /// `feeds: [{name: urlhaus, path: feeds/urlhaus.rpz, format: rpz}]`; `name` defaults to the file
    /// name. Paths are read by the builder, relative to the working directory or absolute.
    private mutating func feeds(_ node: YAMLNode, field: String) -> [RawFeed] {
        guard let items = sequence(node, field: field) else { return [] }
        var out: [RawFeed] = []
        for (index, item) in items.enumerated() {
            let itemField = "\(field)[\(index)]"
            guard let fields = fields(of: item, path: itemField, FeedKey.self) else { continue }
            guard let pathEntry = fields[.path] else {
                error(item.location, .missingKey(key: "path", section: itemField))
                continue
            }
            guard let formatEntry = fields[.format] else {
                error(item.location, .missingKey(key: "format", section: itemField))
                continue
            }
            guard let path = string(pathEntry.value, field: itemField + ".path"),
                let format = choice(formatEntry.value, field: itemField + ".format", FeedTable.Format.allCases)
            else { continue }
            let name = fields[.name].flatMap { string($0.value, field: itemField + ".name") }
                ?? String(path.split(separator: "/").last ?? Substring(path))
            out.append(RawFeed(id: itemField, name: name, path: path, format: format, location: item.location))
        }
        return out
    }

    private mutating func nameRules(_ node: YAMLNode, field: String, action: PolicyRule.Action) -> [PolicyRule] {
        hostRules(node, field: field, action: action, allowAddresses: false)
    }

    /// A list of host patterns (strings); with `allowAddresses`, literal IPs too (HTTP-side lists).
    private mutating func hostRules(_ node: YAMLNode, field: String, action: PolicyRule.Action, allowAddresses: Bool)
        -> [PolicyRule]
    {
        guard let items = sequence(node, field: field) else { return [] }
        var rules: [PolicyRule] = []
        for (index, item) in items.enumerated() {
            let itemField = "\(field)[\(index)]"
            guard let text = string(item, field: itemField) else { continue }
            if let host = host(text, field: itemField, at: item.location, allowAddresses: allowAddresses) {
                rules.append(PolicyRule(id: itemField, action: action, host: host, location: item.location))
            }
        }
        return rules
    }

    /// `http.allow`/`http.deny`: each entry a host string (any port) or `{host: ..., ports: [...]}`.
    private mutating func httpRules(_ node: YAMLNode, field: String, action: PolicyRule.Action) -> [PolicyRule] {
        guard let items = sequence(node, field: field) else { return [] }
        var rules: [PolicyRule] = []
        for (index, item) in items.enumerated() {
            let itemField = "\(field)[\(index)]"
            if case .mapping = item.content {
                guard let fields = fields(of: item, path: itemField, HTTPRuleKey.self) else { continue }
                guard let hostEntry = fields[.host] else {
                    error(item.location, .missingKey(key: "host", section: itemField))
                    continue
                }
                var ports: Set<UInt16>?
                var portsFailed = false
                if let portsEntry = fields[.ports] {
                    if let list = sequence(portsEntry.value, field: itemField + ".ports") {
                        if list.isEmpty {
                            portsFailed = true
                            error(
                                portsEntry.value.location,
                                .wrongType(
                                    field: itemField + ".ports",
                                    expected: "a non-empty list of ports (leave it out for every port)",
                                    found: "an empty list"))
                        }
                        var set = Set<UInt16>()
                        for (portIndex, portNode) in list.enumerated() {
                            if let port = integer(
                                portNode, field: "\(itemField).ports[\(portIndex)]", range: Self.portRange)
                            {
                                set.insert(UInt16(port))
                            } else {
                                portsFailed = true
                            }
                        }
                        ports = set
                    } else {
                        portsFailed = true
                    }
                }
                guard let text = string(hostEntry.value, field: itemField + ".host"),
                    let host = host(
                        text, field: itemField + ".host", at: hostEntry.value.location, allowAddresses: true),
                    !portsFailed
                else { continue }
                rules.append(
                    PolicyRule(id: itemField, action: action, host: host, ports: ports, location: item.location))
            } else if let text = string(item, field: itemField),
                let host = host(text, field: itemField, at: item.location, allowAddresses: true)
            {
                rules.append(PolicyRule(id: itemField, action: action, host: host, location: item.location))
            }
        }
        return rules
    }

    private mutating func host(_ text: String, field: String, at location: SourceLocation, allowAddresses: Bool)
        -> PolicyRule.Host?
    {
        if allowAddresses {
            var literal = Substring(text)
            if literal.hasPrefix("[") && literal.hasSuffix("]") { literal = literal.dropFirst().dropLast() }
            if let address = IPAddress(literal) { return .address(address) }
        }
        switch HostPattern.parse(text) {
        case .success(let pattern): return .pattern(pattern)
        case .failure(let reason):
            error(location, .badHostPattern(field: field, pattern: text, reason: reason.description))
            return nil
        }
    }

    private mutating func cidrs(_ node: YAMLNode, field: String) -> [CIDRRule] {
        guard let items = sequence(node, field: field) else { return [] }
        var rules: [CIDRRule] = []
        for (index, item) in items.enumerated() {
            let itemField = "\(field)[\(index)]"
            guard let text = string(item, field: itemField) else { continue }
            switch CIDR.parse(text) {
            case .success(let cidr): rules.append(CIDRRule(id: itemField, cidr: cidr, location: item.location))
            case .failure(let reason):
                error(item.location, .badCIDR(field: itemField, text: text, reason: reason.description))
            }
        }
        return rules
    }

    /// A list of record types, or the word `all`. nil (inner) stands for `all`.
    private mutating func recordTypes(_ node: YAMLNode, field: String) -> Set<UInt16>?? {
        if case .scalar(let scalar) = node.content, scalar.text == "all", scalar.style == .plain {
            return .some(nil)
        }
        guard case .sequence(let items) = node.content else {
            error(
                node.location,
                .wrongType(field: field, expected: "a list of record types or 'all'", found: node.kindDescription))
            return nil
        }
        guard !items.isEmpty else {
            error(
                node.location,
                .wrongType(
                    field: field,
                    expected: "a non-empty list of record types or 'all' (use 'default: deny' to block every name)",
                    found: "an empty list"))
            return nil
        }
        var types = Set<UInt16>()
        var failed = false
        for (index, item) in items.enumerated() {
            let itemField = "\(field)[\(index)]"
            guard let text = string(item, field: itemField) else {
                failed = true
                continue
            }
            if let type = RecordTypeNames.parse(text) {
                types.insert(type)
            } else {
                failed = true
                let suggestion = Suggestion.closest(to: text.uppercased(), in: RecordTypeNames.byName.keys)
                error(item.location, .badRecordType(field: itemField, text: text, suggestion: suggestion))
            }
        }
        return failed ? nil : .some(types)
    }

    private mutating func upstreams(_ node: YAMLNode, field: String) -> [Endpoint]? {
        guard let items = sequence(node, field: field) else { return nil }
        var endpoints: [Endpoint] = []
        var failed = false
        for (index, item) in items.enumerated() {
            let itemField = "\(field)[\(index)]"
            guard let text = string(item, field: itemField) else {
                failed = true
                continue
            }
            switch Self.parseEndpoint(text) {
            case .success(let endpoint): endpoints.append(endpoint)
            case .failure(let reason):
                failed = true
                error(item.location, .badEndpoint(field: itemField, text: text, reason: reason.message))
            }
        }
        return failed ? nil : endpoints
    }

    struct EndpointError: Error { var message: String }

    /// `198.18.0.53`, `198.18.0.53:5353`, `2001:db8::53`, `[2001:db8::53]:5353` (``HostPort``); port 53
    /// when absent, never 0.
    static func parseEndpoint(_ text: String) -> Result<Endpoint, EndpointError> {
        switch HostPort.parse(text, defaultPort: 53).flatMap({ $0.endpoint() }) {
        case .success(let endpoint):
            return .success(endpoint)
        case .failure(.notAnAddress):
            return .failure(
                .init(message: "not an IP address (upstreams are addresses: the proxy cannot resolve its own resolver)"))
        case .failure(let error):
            return .failure(.init(message: error.description))
        }
    }

    private mutating func budget(_ node: YAMLNode, field: String, bytesRange: ClosedRange<Int>) -> RawBudget {
        var budget = RawBudget()
        guard let fields = fields(of: node, path: field, BudgetKey.self) else { return budget }
        if let entry = fields[.bytes] {
            budget.bytes = integer(entry.value, field: field + ".bytes", range: bytesRange).map {
                located($0, field + ".bytes", entry.value)
            }
        }
        if let entry = fields[.windowSeconds] {
            budget.windowSeconds = integer(entry.value, field: field + ".window_seconds", range: Self.windowRange)
                .map { located($0, field + ".window_seconds", entry.value) }
        }
        return budget
    }

    func located<T: Sendable>(_ value: T, _ id: String, _ node: YAMLNode) -> Located<T> {
        Located(value: value, origin: SettingOrigin(id: id, location: node.location))
    }
}
