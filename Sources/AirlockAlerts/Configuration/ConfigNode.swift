/// A configuration tree as any loader produces it (the policy file's YAML loader, a JSON file,
/// tests): scalars stay text, typing happens in the decoder that knows each field, and every node
/// may say where it was written, so errors read `serve.yaml:12:5: alerts.webhook.url: ...`.
public indirect enum ConfigNode: Sendable, Equatable {
    case scalar(String, location: String? = nil)
    case list([ConfigNode], location: String? = nil)
    case map([ConfigEntry], location: String? = nil)

    public var location: String? {
        switch self {
        case .scalar(_, let l), .list(_, let l), .map(_, let l): return l
        }
    }

    /// "a string", "a list", "a mapping" for type errors.
    var kind: String {
        switch self {
        case .scalar(let s, _): return "'\(s.prefix(40))'"
        case .list: return "a list"
        case .map: return "a mapping"
        }
    }
}

/// One `key: value` of a ``ConfigNode/map(_:location:)``.
public struct ConfigEntry: Sendable, Equatable {
    public var key: String
    public var value: ConfigNode
    public var location: String?

    public init(_ key: String, _ value: ConfigNode, location: String? = nil) {
        self.key = key
        self.value = value
        self.location = location
    }
}

extension AlertingConfiguration {
    /// Decodes the `alerts:` section (the node under the key) and validates it. Unknown keys,
    /// wrong types and invalid values are all reported together.
    public static func decode(_ node: ConfigNode) throws(AlertingConfigurationErrors) -> AlertingConfiguration {
        var decoder = SectionDecoder()
        let config = decoder.decodeRoot(node)
        var errors = decoder.errors
        if errors.isEmpty { errors = config.problems() }
        if !errors.isEmpty { throw AlertingConfigurationErrors(errors: errors) }
        return config
    }
}

/// Field-by-field decoding with error collection.
private struct SectionDecoder {
    var errors: [AlertingConfigurationError] = []

    mutating func fail(_ setting: String, _ node: ConfigNode?, _ message: String) {
        errors.append(AlertingConfigurationError(setting: setting, message: message, location: node?.location))
    }

    /// The entries of a mapping, with unknown keys reported (did-you-mean included).
    mutating func entries(_ node: ConfigNode, _ path: String, allowed: [String]) -> [String: ConfigNode] {
        guard case .map(let list, _) = node else {
            fail(path, node, "must be a mapping, found \(node.kind)")
            return [:]
        }
        var out: [String: ConfigNode] = [:]
        for entry in list {
            if !allowed.contains(entry.key) {
                let hint = allowed.min { editDistance($0, entry.key) < editDistance($1, entry.key) }
                    .flatMap { editDistance($0, entry.key) <= 2 ? " (did you mean '\($0)'?)" : nil } ?? ""
                errors.append(
                    AlertingConfigurationError(
                        setting: "\(path).\(entry.key)",
                        message: "unknown key\(hint); known: \(allowed.joined(separator: ", "))",
                        location: entry.location ?? entry.value.location))
            } else if out[entry.key] != nil {
                errors.append(
                    AlertingConfigurationError(
                        setting: "\(path).\(entry.key)", message: "set twice", location: entry.location))
            } else {
                out[entry.key] = entry.value
            }
        }
        return out
    }

    mutating func string(_ node: ConfigNode?, _ path: String) -> String? {
        guard let node else { return nil }
        guard case .scalar(let s, _) = node else {
            fail(path, node, "must be a string, found \(node.kind)")
            return nil
        }
        return s
    }

    mutating func int(_ node: ConfigNode?, _ path: String, _ range: ClosedRange<Int>) -> Int? {
        guard let text = string(node, path) else { return nil }
        guard let v = Int(text), range.contains(v) else {
            fail(path, node, "must be a whole number \(range.lowerBound)–\(range.upperBound), found '\(text)'")
            return nil
        }
        return v
    }

    mutating func double(_ node: ConfigNode?, _ path: String) -> Double? {
        guard let text = string(node, path) else { return nil }
        guard let v = Double(text), v.isFinite else {
            fail(path, node, "must be a number, found '\(text)'")
            return nil
        }
        return v
    }

    mutating func bool(_ node: ConfigNode?, _ path: String) -> Bool? {
        guard let text = string(node, path) else { return nil }
        switch text {
        case "true": return true
        case "false": return false
        default:
            fail(path, node, "must be true or false, found '\(text)'")
            return nil
        }
    }

    mutating func choice<E: RawRepresentable & CaseIterable>(_ node: ConfigNode?, _ path: String, _: E.Type) -> E?
    where E.RawValue == String {
        guard let text = string(node, path) else { return nil }
        guard let v = E(rawValue: text) else {
            fail(path, node, "must be one of \(E.allCases.map(\.rawValue).joined(separator: ", ")), found '\(text)'")
            return nil
        }
        return v
    }

    mutating func decodeRoot(_ node: ConfigNode) -> AlertingConfiguration {
        var c = AlertingConfiguration()
        let p = "alerts"
        let e = entries(
            node, p,
            allowed: [
                "format", "window_seconds", "queue_capacity", "shutdown_drain_seconds", "file", "stdout", "syslog",
                "webhook", "metrics",
            ])
        if let f = choice(e["format"], "\(p).format", AlertFormat.self) { c.format = f }
        if let w = double(e["window_seconds"], "\(p).window_seconds") { c.windowSeconds = w }
        if let q = int(e["queue_capacity"], "\(p).queue_capacity", 1...10_000_000) { c.queueCapacity = q }
        if let s = double(e["shutdown_drain_seconds"], "\(p).shutdown_drain_seconds") { c.shutdownDrainSeconds = s }
        if let n = e["file"] { c.file = decodeFile(n) }
        if let n = e["stdout"] {
            if case .scalar(let s, _) = n {
                if s == "true" { c.stdout = .init() } else if s != "false" { fail("\(p).stdout", n, "must be true, false or a mapping") }
            } else {
                let s = entries(n, "\(p).stdout", allowed: ["format"])
                c.stdout = .init(format: choice(s["format"], "\(p).stdout.format", AlertFormat.self))
            }
        }
        if let n = e["syslog"] {
            switch n {
            case .list(let items, _):
                for (i, item) in items.enumerated() { if let s = decodeSyslog(item, "\(p).syslog[\(i)]") { c.syslog.append(s) } }
            default:
                if let s = decodeSyslog(n, "\(p).syslog") { c.syslog.append(s) }
            }
        }
        if let n = e["webhook"] { c.webhook = decodeWebhook(n) }
        if let n = e["metrics"] {
            var listen: String?
            if case .scalar(let s, _) = n {
                listen = s
            } else {
                listen = string(entries(n, "\(p).metrics", allowed: ["listen"])["listen"], "\(p).metrics.listen")
            }
            if let listen {
                if let m = AlertingConfiguration.MetricsEndpoint.parse(listen) {
                    c.metrics = m
                } else {
                    fail("\(p).metrics.listen", n, "must be HOST:PORT, [IPV6]:PORT or :PORT, found '\(listen)'")
                }
            }
        }
        return c
    }

    mutating func decodeFile(_ node: ConfigNode) -> AlertingConfiguration.FileSink? {
        let p = "alerts.file"
        let e = entries(node, p, allowed: ["path", "format", "max_bytes", "keep"])
        guard let path = string(e["path"], "\(p).path") else {
            if e["path"] == nil { fail("\(p).path", node, "is required") }
            return nil
        }
        var f = AlertingConfiguration.FileSink(path: path, format: choice(e["format"], "\(p).format", AlertFormat.self))
        if let v = int(e["max_bytes"], "\(p).max_bytes", 4096...(1 << 40)) { f.maxBytes = v }
        if let v = int(e["keep"], "\(p).keep", 0...1000) { f.keep = v }
        return f
    }

    mutating func decodeSyslog(_ node: ConfigNode, _ p: String) -> AlertingConfiguration.SyslogSink? {
        let e = entries(
            node, p,
            allowed: [
                "transport", "host", "port", "format", "message", "facility", "app_name", "hostname", "enterprise_number",
                "max_message_bytes", "spool", "spool_max_bytes", "fsync", "timeout_ms",
            ])
        let transport = choice(e["transport"], "\(p).transport", AlertingConfiguration.SyslogSink.Transport.self)
        let host = string(e["host"], "\(p).host")
        let port = int(e["port"], "\(p).port", 1...65535)
        for key in ["transport", "host", "port"] where e[key] == nil { fail("\(p).\(key)", node, "is required") }
        guard let transport, let host, let port else { return nil }
        var s = AlertingConfiguration.SyslogSink(
            transport: transport, host: host, port: UInt16(port), spoolDirectory: string(e["spool"], "\(p).spool"))
        s.format = choice(e["format"], "\(p).format", AlertFormat.self)
        if let v = choice(e["message"], "\(p).message", AlertingConfiguration.SyslogSink.Message.self) { s.message = v }
        if let v = int(e["facility"], "\(p).facility", 0...23) { s.facility = v }
        if let v = string(e["app_name"], "\(p).app_name") { s.appName = v }
        s.hostname = string(e["hostname"], "\(p).hostname")
        if let v = int(e["enterprise_number"], "\(p).enterprise_number", 1...Int(Int32.max)) { s.enterpriseNumber = v }
        if let v = int(e["max_message_bytes"], "\(p).max_message_bytes", 480...65_000) { s.maxMessageBytes = v }
        if let v = int(e["spool_max_bytes"], "\(p).spool_max_bytes", 65_536...(1 << 40)) { s.spoolMaxBytes = v }
        if let v = bool(e["fsync"], "\(p).fsync") { s.fsync = v }
        if let v = int(e["timeout_ms"], "\(p).timeout_ms", 1...600_000) { s.timeoutMilliseconds = v }
        return s
    }

    mutating func decodeWebhook(_ node: ConfigNode) -> AlertingConfiguration.WebhookSink? {
        let p = "alerts.webhook"
        let e = entries(
            node, p,
            allowed: [
                "url", "format", "headers", "batch_size", "timeout_ms", "backoff_initial_seconds", "backoff_max_seconds",
                "spool", "spool_max_bytes", "fsync", "ca_file",
            ])
        let url = string(e["url"], "\(p).url")
        let spool = string(e["spool"], "\(p).spool")
        for key in ["url", "spool"] where e[key] == nil { fail("\(p).\(key)", node, "is required") }
        guard let url, let spool else { return nil }
        var w = AlertingConfiguration.WebhookSink(
            url: url, spoolDirectory: spool, format: choice(e["format"], "\(p).format", AlertFormat.self))
        if let h = e["headers"] {
            if case .map(let list, _) = h {
                for entry in list { if let v = string(entry.value, "\(p).headers.\(entry.key)") { w.headers[entry.key] = v } }
            } else {
                fail("\(p).headers", h, "must be a mapping of header names to values")
            }
        }
        if let v = int(e["batch_size"], "\(p).batch_size", 1...10_000) { w.batchSize = v }
        if let v = int(e["timeout_ms"], "\(p).timeout_ms", 1...600_000) { w.timeoutMilliseconds = v }
        if let v = double(e["backoff_initial_seconds"], "\(p).backoff_initial_seconds") { w.backoffInitialSeconds = v }
        if let v = double(e["backoff_max_seconds"], "\(p).backoff_max_seconds") { w.backoffMaximumSeconds = v }
        if let v = int(e["spool_max_bytes"], "\(p).spool_max_bytes", 65_536...(1 << 40)) { w.spoolMaxBytes = v }
        if let v = bool(e["fsync"], "\(p).fsync") { w.fsync = v }
        w.caFile = string(e["ca_file"], "\(p).ca_file")
        return w
    }
}

/// Levenshtein distance, for did-you-mean hints on unknown keys.
private func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var previous = Array(0...b.count)
    for i in 1...a.count {
        var current = [i] + [Int](repeating: 0, count: b.count)
        for j in 1...b.count {
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        previous = current
    }
    return previous[b.count]
}
