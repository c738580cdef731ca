import AirlockPolicy
import Foundation

extension AlertingConfiguration {
    /// Loads the `alerts:` section of a serve configuration file (YAML, read with the policy
    /// module's loader). The file's other top-level keys belong to other components and are left
    /// alone; a file without `alerts:` is an error, since asking for alerts and getting none would
    /// be silent.
    public static func load(path: String) throws(AlertingConfigurationErrors) -> AlertingConfiguration {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw AlertingConfigurationErrors(errors: [
                AlertingConfigurationError(setting: "alerts", message: "cannot read \(path)", location: path)
            ])
        }
        let yaml: YAMLNode
        do { yaml = try YAMLLoader.load(bytes: Array(data), file: path) } catch {
            throw AlertingConfigurationErrors(diagnostics: error.diagnostics)
        }
        guard case .mapping(let entries) = yaml.content, let section = entries.first(where: { $0.key == "alerts" }) else {
            throw AlertingConfigurationErrors(errors: [
                AlertingConfigurationError(
                    setting: "alerts", message: "no top-level 'alerts:' mapping", location: yaml.location.description)
            ])
        }
        return try decode(section.value)
    }

    /// Decodes the `alerts:` section (the node under the key) with the policy's configuration-tree
    /// reader, then validates it. Unknown keys, wrong types and invalid values are all reported
    /// together, in file order, in the policy's words.
    public static func decode(_ node: YAMLNode) throws(AlertingConfigurationErrors) -> AlertingConfiguration {
        var decoder = AlertingSectionDecoder()
        let config = decoder.decodeRoot(node)
        if !decoder.diagnostics.isEmpty {
            throw AlertingConfigurationErrors(diagnostics: PolicyLoader.inFileOrder(decoder.diagnostics))
        }
        let problems = config.problems()
        if !problems.isEmpty { throw AlertingConfigurationErrors(errors: problems) }
        return config
    }
}

/// The `alerts:` section, key by key (each section's keys an enum switched over exhaustively).
private struct AlertingSectionDecoder: ConfigTreeReader {
    var diagnostics: [PolicyDiagnostic] = []

    enum RootKey: String, CaseIterable {
        case format
        case windowSeconds = "window_seconds"
        case queueCapacity = "queue_capacity"
        case shutdownDrainSeconds = "shutdown_drain_seconds"
        case file, stdout, syslog, webhook, metrics
    }
    enum FileKey: String, CaseIterable {
        case path, format
        case maxBytes = "max_bytes"
        case keep
    }
    enum StdoutKey: String, CaseIterable { case format }
    enum SyslogKey: String, CaseIterable {
        case transport, host, port, format, message, facility
        case appName = "app_name"
        case hostname
        case enterpriseNumber = "enterprise_number"
        case maxMessageBytes = "max_message_bytes"
        case spool
        case spoolMaxBytes = "spool_max_bytes"
        case fsync
        case timeoutMilliseconds = "timeout_ms"
    }
    enum WebhookKey: String, CaseIterable {
        case url, format, headers
        case batchSize = "batch_size"
        case timeoutMilliseconds = "timeout_ms"
        case backoffInitialSeconds = "backoff_initial_seconds"
        case backoffMaxSeconds = "backoff_max_seconds"
        case spool
        case spoolMaxBytes = "spool_max_bytes"
        case fsync
        case caFile = "ca_file"
    }
    enum MetricsKey: String, CaseIterable { case listen }

    mutating func decodeRoot(_ node: YAMLNode) -> AlertingConfiguration {
        var c = AlertingConfiguration()
        let p = "alerts"
        guard let fields = fields(of: node, path: p, RootKey.self) else { return c }
        for key in RootKey.allCases {
            guard let n = fields[key]?.value else { continue }
            let field = join(p, key.rawValue)
            switch key {
            case .format:
                if let f = choice(n, field: field, AlertFormat.allCases) { c.format = f }
            case .windowSeconds:
                if let w = number(n, field: field) { c.windowSeconds = w }
            case .queueCapacity:
                if let q = integer(n, field: field, range: 1...10_000_000) { c.queueCapacity = q }
            case .shutdownDrainSeconds:
                if let s = number(n, field: field) { c.shutdownDrainSeconds = s }
            case .file:
                c.file = decodeFile(n, field)
            case .stdout:
                if case .scalar = n.content {
                    if boolean(n, field: field) == true { c.stdout = .init() }
                } else if let s = self.fields(of: n, path: field, StdoutKey.self) {
                    c.stdout = .init(format: s[.format].flatMap { choice($0.value, field: field + ".format", AlertFormat.allCases) })
                }
            case .syslog:
                if case .sequence(let items) = n.content {
                    for (i, item) in items.enumerated() {
                        if let s = decodeSyslog(item, "\(field)[\(i)]") { c.syslog.append(s) }
                    }
                } else if let s = decodeSyslog(n, field) {
                    c.syslog.append(s)
                }
            case .webhook:
                c.webhook = decodeWebhook(n, field)
            case .metrics:
                var listen: YAMLNode? = n
                if case .mapping = n.content { listen = self.fields(of: n, path: field, MetricsKey.self)?[.listen]?.value }
                guard let listen, let text = string(listen, field: field + ".listen") else { continue }
                if let m = AlertingConfiguration.MetricsEndpoint.parse(text) {
                    c.metrics = m
                } else {
                    error(
                        listen.location,
                        .invalidValue(field: field + ".listen", value: text, expected: "HOST:PORT, [IPV6]:PORT or :PORT"))
                }
            }
        }
        return c
    }

    /// Every key of `required` that `fields` lacks, reported; true when none is missing.
    mutating func require<Key: ConfigKey>(_ required: [Key], in fields: [Key: YAMLNode.Entry], of node: YAMLNode, _ p: String)
        -> Bool
    {
        for key in required where fields[key] == nil {
            error(node.location, .missingKey(key: key.rawValue, section: p))
        }
        return required.allSatisfy { fields[$0] != nil }
    }

    mutating func decodeFile(_ node: YAMLNode, _ p: String) -> AlertingConfiguration.FileSink? {
        guard let fields = fields(of: node, path: p, FileKey.self) else { return nil }
        let complete = require([.path], in: fields, of: node, p)
        let path = fields[.path].flatMap { string($0.value, field: p + ".path") }
        var f = AlertingConfiguration.FileSink(path: path ?? "")
        for key in FileKey.allCases {
            guard let n = fields[key]?.value else { continue }
            let field = join(p, key.rawValue)
            switch key {
            case .path: break
            case .format: f.format = choice(n, field: field, AlertFormat.allCases)
            case .maxBytes: if let v = integer(n, field: field, range: 4096...(1 << 40)) { f.maxBytes = v }
            case .keep: if let v = integer(n, field: field, range: 0...1000) { f.keep = v }
            }
        }
        return complete && path != nil ? f : nil
    }

    mutating func decodeSyslog(_ node: YAMLNode, _ p: String) -> AlertingConfiguration.SyslogSink? {
        guard let fields = fields(of: node, path: p, SyslogKey.self) else { return nil }
        let complete = require([.transport, .host, .port], in: fields, of: node, p)
        let transport = fields[.transport].flatMap {
            choice($0.value, field: p + ".transport", AlertingConfiguration.SyslogSink.Transport.allCases)
        }
        let host = fields[.host].flatMap { string($0.value, field: p + ".host") }
        let port = fields[.port].flatMap { integer($0.value, field: p + ".port", range: 1...65535) }
        var s = AlertingConfiguration.SyslogSink(transport: transport ?? .udp, host: host ?? "", port: UInt16(port ?? 1))
        for key in SyslogKey.allCases {
            guard let n = fields[key]?.value else { continue }
            let field = join(p, key.rawValue)
            switch key {
            case .transport, .host, .port: break
            case .format: s.format = choice(n, field: field, AlertFormat.allCases)
            case .message:
                if let v = choice(n, field: field, AlertingConfiguration.SyslogSink.Message.allCases) { s.message = v }
            case .facility: if let v = integer(n, field: field, range: 0...23) { s.facility = v }
            case .appName: if let v = string(n, field: field) { s.appName = v }
            case .hostname: s.hostname = string(n, field: field)
            case .enterpriseNumber:
                if let v = integer(n, field: field, range: 1...Int(Int32.max)) { s.enterpriseNumber = v }
            case .maxMessageBytes: if let v = integer(n, field: field, range: 480...65_000) { s.maxMessageBytes = v }
            case .spool: s.spoolDirectory = string(n, field: field)
            case .spoolMaxBytes: if let v = integer(n, field: field, range: 65_536...(1 << 40)) { s.spoolMaxBytes = v }
            case .fsync: if let v = boolean(n, field: field) { s.fsync = v }
            case .timeoutMilliseconds: if let v = integer(n, field: field, range: 1...600_000) { s.timeoutMilliseconds = v }
            }
        }
        return complete && transport != nil && host != nil && port != nil ? s : nil
    }

    mutating func decodeWebhook(_ node: YAMLNode, _ p: String) -> AlertingConfiguration.WebhookSink? {
        guard let fields = fields(of: node, path: p, WebhookKey.self) else { return nil }
        let complete = require([.url, .spool], in: fields, of: node, p)
        let url = fields[.url].flatMap { string($0.value, field: p + ".url") }
        let spool = fields[.spool].flatMap { string($0.value, field: p + ".spool") }
        var w = AlertingConfiguration.WebhookSink(url: url ?? "", spoolDirectory: spool ?? "")
        for key in WebhookKey.allCases {
            guard let n = fields[key]?.value else { continue }
            let field = join(p, key.rawValue)
            switch key {
            case .url, .spool: break
            case .format: w.format = choice(n, field: field, AlertFormat.allCases)
            case .headers:
                guard let headers = uniqueEntries(of: n, path: field, what: field) else { continue }
                for entry in headers {
                    if let v = string(entry.value, field: field + "." + entry.key) { w.headers[entry.key] = v }
                }
            case .batchSize: if let v = integer(n, field: field, range: 1...10_000) { w.batchSize = v }
            case .timeoutMilliseconds: if let v = integer(n, field: field, range: 1...600_000) { w.timeoutMilliseconds = v }
            case .backoffInitialSeconds: if let v = number(n, field: field) { w.backoffInitialSeconds = v }
            case .backoffMaxSeconds: if let v = number(n, field: field) { w.backoffMaximumSeconds = v }
            case .spoolMaxBytes: if let v = integer(n, field: field, range: 65_536...(1 << 40)) { w.spoolMaxBytes = v }
            case .fsync: if let v = boolean(n, field: field) { w.fsync = v }
            case .caFile: w.caFile = string(n, field: field)
            }
        }
        return complete && url != nil && spool != nil ? w : nil
    }
}
