import AirlockEvents

/// The `fleet:` section (``FleetPolicy``), checked like every other section: unknown keys with a
/// suggestion, kinds, ranges, every error at its line.
extension PolicyDecoder {
    enum FleetKey: String, CaseIterable {
        case redis, username
        case passwordFile = "password_file"
        case tls, instance
        case keyPrefix = "key_prefix"
        case share
        case leakBudget = "leak_budget"
        case syncIntervalMilliseconds = "sync_interval_ms"
        case maxBudgetKeys = "max_budget_keys"
        case maxConvictions = "max_convictions"
    }
    enum FleetTLSKey: String, CaseIterable {
        case caFile = "ca_file"
        case serverName = "server_name"
    }
    enum FleetBudgetKey: String, CaseIterable {
        case bytes
        case windowSeconds = "window_seconds"
        case per
    }
    static let syncIntervalRange = 50...5_000
    static let fleetBudgetKeysRange = 16...4_194_304
    static let fleetConvictionsRange = 16...1_048_576
    static let fleetBytesRange = 1...1_073_741_824

    mutating func decodeFleet(_ node: YAMLNode) -> RawFleet? {
        guard let fields = fields(of: node, path: "fleet", FleetKey.self) else { return nil }
        guard let redisEntry = fields[.redis] else {
            error(node.location, .missingKey(key: "redis", section: "fleet"))
            return nil
        }
        // A bad address is reported and decoding goes on, so one run shows every mistake in the section.
        var failed = false
        var raw = RawFleet(policy: FleetPolicy(redis: HostPort(host: "", port: 0), location: node.location))
        if let text = string(redisEntry.value, field: "fleet.redis") {
            switch Self.parseRedisAddress(text) {
            case .success(let address):
                raw.policy.redis = address
            case .failure(let reason):
                error(redisEntry.value.location, .badAddress(field: "fleet.redis", text: text, reason: reason.message))
                failed = true
            }
        } else {
            failed = true
        }
        for key in FleetKey.allCases {
            guard let entry = fields[key] else { continue }
            let value = entry.value
            let field = "fleet." + key.rawValue
            switch key {
            case .redis:
                break
            case .username:
                if let name = string(value, field: field) { raw.policy.username = name } else { failed = true }
            case .passwordFile:
                if let path = string(value, field: field) { raw.passwordFile = located(path, field, value) } else {
                    failed = true
                }
            case .tls:
                guard let tls = self.fields(of: value, path: field, FleetTLSKey.self) else {
                    failed = true
                    continue
                }
                var settings = FleetPolicy.TLS()
                if let ca = tls[.caFile] {
                    if let path = string(ca.value, field: field + ".ca_file") {
                        settings.caFile = path
                        raw.caFile = located(path, field + ".ca_file", ca.value)
                    } else {
                        failed = true
                    }
                }
                if let name = tls[.serverName] {
                    if let text = string(name.value, field: field + ".server_name") { settings.serverName = text } else {
                        failed = true
                    }
                }
                raw.policy.tls = settings
            case .instance, .keyPrefix:
                guard let name = string(value, field: field) else {
                    failed = true
                    continue
                }
                if let reason = FleetPolicy.nameProblem(name) {
                    error(value.location, .badName(field: field, name: name, reason: reason))
                    failed = true
                } else if key == .instance {
                    raw.policy.instance = name
                } else {
                    raw.policy.keyPrefix = name
                }
            case .share:
                guard let items = sequence(value, field: field) else {
                    failed = true
                    continue
                }
                var shared = Set<FleetPolicy.Share>()
                for (index, item) in items.enumerated() {
                    if let choice = choice(item, field: "\(field)[\(index)]", FleetPolicy.Share.allCases) {
                        shared.insert(choice)
                    } else {
                        failed = true
                    }
                }
                if items.isEmpty {
                    error(
                        value.location,
                        .wrongType(
                            field: field, expected: "a non-empty list (leave 'fleet' out to share nothing)",
                            found: "an empty list"))
                    failed = true
                }
                raw.policy.shareConvictions = shared.contains(.convictions)
                raw.policy.shareLeakBudget = shared.contains(.leakBudget)
            case .leakBudget:
                guard let budget = self.fields(of: value, path: field, FleetBudgetKey.self) else {
                    failed = true
                    continue
                }
                if let bytes = budget[.bytes] {
                    if let n = integer(bytes.value, field: field + ".bytes", range: Self.fleetBytesRange) {
                        raw.policy.leakBudget.bytes = n
                    } else {
                        failed = true
                    }
                }
                if let window = budget[.windowSeconds] {
                    if let n = integer(window.value, field: field + ".window_seconds", range: Self.windowRange) {
                        raw.policy.leakBudget.windowSeconds = n
                    } else {
                        failed = true
                    }
                }
                if let per = budget[.per] {
                    if let scope = choice(per.value, field: field + ".per", FleetPolicy.BudgetScope.allCases) {
                        raw.policy.budgetScope = scope
                    } else {
                        failed = true
                    }
                }
            case .syncIntervalMilliseconds:
                if let n = integer(value, field: field, range: Self.syncIntervalRange) {
                    raw.policy.syncIntervalMilliseconds = n
                } else {
                    failed = true
                }
            case .maxBudgetKeys:
                if let n = integer(value, field: field, range: Self.fleetBudgetKeysRange) {
                    raw.policy.maxBudgetKeys = n
                } else {
                    failed = true
                }
            case .maxConvictions:
                if let n = integer(value, field: field, range: Self.fleetConvictionsRange) {
                    raw.policy.maxConvictions = n
                } else {
                    failed = true
                }
            }
        }
        if raw.policy.username != nil && raw.passwordFile == nil, let entry = fields[.username] {
            error(entry.keyLocation, .missingKey(key: "password_file", section: "fleet (a username needs a password)"))
            failed = true
        }
        return failed ? nil : raw
    }

    /// `redis.airlock.svc`, `10.0.0.5:6380`, `[2001:db8::5]:6379`: an IP literal or a host name
    /// (letters, digits, `-`, `.`), port 6379 when absent.
    static func parseRedisAddress(_ text: String) -> Result<HostPort, EndpointError> {
        switch HostPort.parse(text, defaultPort: FleetPolicy.defaultPort) {
        case .success(let address):
            if IPAddress(address.host) != nil { return .success(address) }
            let host = address.host.utf8
            let hostName =
                !host.isEmpty && host.count <= 253 && host.first != UInt8(ascii: "-") && host.first != UInt8(ascii: ".")
                && host.allSatisfy { b in
                    (b >= 0x61 && b <= 0x7A) || (b >= 0x41 && b <= 0x5A) || (b >= 0x30 && b <= 0x39) || b == 0x2D
                        || b == 0x2E
                }
            guard hostName else {
                return .failure(.init(message: "'\(address.host)' is neither an IP address nor a host name"))
            }
            return .success(address)
        case .failure(let error):
            return .failure(.init(message: error.description))
        }
    }
}
