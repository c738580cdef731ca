import AirlockEvents
import AirlockPolicy
import AirlockSystem

/// Where alerts go and how: the `alerts:` section of Airlock's configuration.
///
/// Every sink can be set together with the others; each has its own format (OCSF by default).
/// ``validate()`` reports every problem at once and runs before anything starts, so a typo fails
/// at start-up with a message naming the setting, never at the first alert.
public struct AlertingConfiguration: Sendable, Equatable {
    /// Default record format for sinks that do not set one.
    public var format: AlertFormat = .ocsf
    /// Aggregation window: repeats per (sandbox, domain, kind) within it fold into one roll-up.
    public var windowSeconds: Double = 60
    public var file: FileSink?
    public var stdout: StdoutSink?
    public var syslog: [SyslogSink] = []
    public var webhook: WebhookSink?
    public var metrics: MetricsEndpoint?
    /// Bound of each sink's in-memory queue (alerts beyond it are dropped and counted).
    public var queueCapacity = 10_000
    /// How long a graceful shutdown keeps delivering before leaving the rest in the spools.
    public var shutdownDrainSeconds = 5.0

    public init() {}

    public struct FileSink: Sendable, Equatable {
        public var path: String
        public var format: AlertFormat?
        /// Size at which the file is rotated.
        public var maxBytes = 64 << 20
        /// Rotated files kept (`path.1` … `path.<keep>`).
        public var keep = 5

        public init(path: String, format: AlertFormat? = nil) {
            self.path = path
            self.format = format
        }
    }

    public struct StdoutSink: Sendable, Equatable {
        public var format: AlertFormat?
        public init(format: AlertFormat? = nil) { self.format = format }
    }

    public struct SyslogSink: Sendable, Equatable {
        public enum Transport: String, Sendable, CaseIterable { case udp, tcp }
        public enum Message: String, Sendable, CaseIterable {
            /// MSG is the formatted JSON record.
            case json
            /// MSG is the one-line summary.
            case text
        }
        public var transport: Transport
        public var host: String
        public var port: UInt16
        public var format: AlertFormat?
        public var message: Message = .json
        /// RFC 5424 facility number 0–23 (16 = local0).
        public var facility = 16
        public var appName = "airlock"
        /// Host name in the header; nil uses the machine's.
        public var hostname: String?
        public var enterpriseNumber = 32473
        public var maxMessageBytes = 8192
        /// Spool directory: required for TCP (durable delivery), not allowed for UDP.
        public var spoolDirectory: String?
        public var spoolMaxBytes = 256 << 20
        public var fsync = true
        public var timeoutMilliseconds = 5000

        public init(transport: Transport, host: String, port: UInt16, spoolDirectory: String? = nil) {
            self.transport = transport
            self.host = host
            self.port = port
            self.spoolDirectory = spoolDirectory
        }
    }

    public struct WebhookSink: Sendable, Equatable {
        public var url: String
        public var format: AlertFormat?
        /// Extra request headers (e.g. `Authorization`).
        public var headers: [String: String] = [:]
        public var batchSize = 100
        public var timeoutMilliseconds = 5000
        public var backoffInitialSeconds = 0.25
        public var backoffMaximumSeconds = 30.0
        /// Spool directory (required: webhook delivery is always durable).
        public var spoolDirectory: String
        public var spoolMaxBytes = 256 << 20
        public var fsync = true
        /// https only: PEM file of the CA certificates that may sign the receiver's certificate,
        /// used instead of the system trust store (a private SIEM CA). Verification is always on.
        public var caFile: String?

        public init(url: String, spoolDirectory: String, format: AlertFormat? = nil) {
            self.url = url
            self.spoolDirectory = spoolDirectory
            self.format = format
        }
    }

    public struct MetricsEndpoint: Sendable, Equatable {
        public var host = "127.0.0.1"
        public var port: UInt16 = 9464

        public init(host: String = "127.0.0.1", port: UInt16 = 9464) {
            self.host = host
            self.port = port
        }

        /// Parses `HOST:PORT`, `[V6]:PORT` or `:PORT` (loopback) with ``HostPort``; port 0 binds any free port.
        public static func parse(_ text: String) -> MetricsEndpoint? {
            guard case .success(let parsed) = HostPort.parse(text, zeroPort: .allowed) else { return nil }
            return MetricsEndpoint(host: parsed.host.isEmpty ? "127.0.0.1" : parsed.host, port: parsed.port)
        }
    }

    /// Every problem, in setting order; empty when the configuration can start.
    public func problems() -> [AlertingConfigurationError] {
        var out: [AlertingConfigurationError] = []
        func bad(_ setting: String, _ message: String) { out.append(AlertingConfigurationError(setting: setting, message: message)) }
        if !(windowSeconds > 0 && windowSeconds <= 86_400) { bad("alerts.window_seconds", "must be in 0 < x ≤ 86400, got \(windowSeconds)") }
        if !(1...10_000_000).contains(queueCapacity) { bad("alerts.queue_capacity", "must be 1–10000000, got \(queueCapacity)") }
        if !(shutdownDrainSeconds >= 0 && shutdownDrainSeconds <= 600) { bad("alerts.shutdown_drain_seconds", "must be 0–600") }
        if let file {
            if file.path.isEmpty { bad("alerts.file.path", "must not be empty") }
            if file.maxBytes < 4096 { bad("alerts.file.max_bytes", "must be at least 4096, got \(file.maxBytes)") }
            if !(0...1000).contains(file.keep) { bad("alerts.file.keep", "must be 0–1000, got \(file.keep)") }
        }
        for (i, s) in syslog.enumerated() {
            let p = "alerts.syslog[\(i)]"
            if !POSIX.isValidHost(s.host) { bad("\(p).host", "'\(s.host)' is not an IP address or host name") }
            if s.port == 0 { bad("\(p).port", "must be 1–65535") }
            if !(0...23).contains(s.facility) { bad("\(p).facility", "must be 0–23 (RFC 5424), got \(s.facility)") }
            if s.appName.isEmpty || s.appName.count > 48 || !s.appName.allSatisfy({ $0.isASCII && !$0.isWhitespace }) {
                bad("\(p).app_name", "must be 1–48 printable ASCII characters without spaces")
            }
            if s.enterpriseNumber < 1 { bad("\(p).enterprise_number", "must be a positive IANA private enterprise number") }
            if !(480...65_000).contains(s.maxMessageBytes) { bad("\(p).max_message_bytes", "must be 480–65000") }
            if !(1...600_000).contains(s.timeoutMilliseconds) { bad("\(p).timeout_ms", "must be 1–600000") }
            switch s.transport {
            case .tcp where s.spoolDirectory?.isEmpty ?? true:
                bad("\(p).spool", "TCP syslog needs a spool directory (alerts must survive a receiver outage)")
            case .udp where s.spoolDirectory != nil:
                bad("\(p).spool", "UDP syslog cannot be spooled: nothing acknowledges a datagram (use transport: tcp)")
            default: break
            }
            if s.spoolMaxBytes < 65_536 { bad("\(p).spool_max_bytes", "must be at least 65536") }
        }
        if let w = webhook {
            switch WebhookURL.parse(w.url) {
            case .failure(let error): bad("alerts.webhook.url", error.description)
            case .success(let url) where !POSIX.isValidHost(url.host):
                bad("alerts.webhook.url", "'\(url.host)' is not an IP address or host name")
            case .success(let url) where !url.isHTTPS && w.caFile != nil:
                bad("alerts.webhook.ca_file", "applies to https:// URLs only; '\(w.url)' is plain http")
            case .success: break
            }
            if let ca = w.caFile, ca.isEmpty { bad("alerts.webhook.ca_file", "must not be empty (leave it out for the system trust store)") }
            if w.spoolDirectory.isEmpty { bad("alerts.webhook.spool", "must not be empty") }
            if !(1...10_000).contains(w.batchSize) { bad("alerts.webhook.batch_size", "must be 1–10000, got \(w.batchSize)") }
            if !(1...600_000).contains(w.timeoutMilliseconds) { bad("alerts.webhook.timeout_ms", "must be 1–600000") }
            if !(w.backoffInitialSeconds > 0 && w.backoffInitialSeconds <= w.backoffMaximumSeconds && w.backoffMaximumSeconds <= 3600) {
                bad("alerts.webhook.backoff", "needs 0 < initial ≤ maximum ≤ 3600 seconds")
            }
            for (name, value) in w.headers.sorted(by: { $0.key < $1.key }) {
                if name.isEmpty || !name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_".contains($0)) }) {
                    bad("alerts.webhook.headers", "'\(name)' is not a valid header name")
                }
                if value.contains("\r") || value.contains("\n") { bad("alerts.webhook.headers.\(name)", "must be one line") }
            }
            if w.spoolMaxBytes < 65_536 { bad("alerts.webhook.spool_max_bytes", "must be at least 65536") }
        }
        var spools: [String: String] = [:]
        let dirs = syslog.enumerated().compactMap { i, s in s.spoolDirectory.map { ("alerts.syslog[\(i)].spool", $0) } }
            + (webhook.map { [("alerts.webhook.spool", $0.spoolDirectory)] } ?? [])
        for (setting, dir) in dirs where !dir.isEmpty {
            if let other = spools[dir] { bad(setting, "'\(dir)' is also \(other): each sink needs its own spool") }
            spools[dir] = setting
        }
        if let m = metrics, m.host.isEmpty { bad("alerts.metrics.listen", "needs a host") }
        return out
    }

    /// Throws every problem at once, or returns.
    public func validate() throws(AlertingConfigurationErrors) {
        let found = problems()
        if !found.isEmpty { throw AlertingConfigurationErrors(errors: found) }
    }
}

/// One configuration problem: the setting and what is wrong with it.
public struct AlertingConfigurationError: Error, Equatable, Sendable, CustomStringConvertible {
    public var setting: String
    public var message: String
    /// Where the setting is written (`file:line:column`), when it came from a file.
    public var location: String?

    public init(setting: String, message: String, location: String? = nil) {
        self.setting = setting
        self.message = message
        self.location = location
    }

    public var description: String { (location.map { "\($0): " } ?? "") + "\(setting): \(message)" }
}

/// All the problems of one configuration.
public struct AlertingConfigurationErrors: Error, Equatable, Sendable, CustomStringConvertible {
    /// Mistakes in the file as written (YAML, unknown keys, wrong kinds, values out of range), each
    /// at its `FILE:LINE:COL`, found by the policy's configuration-tree reader and worded as it words them.
    public var diagnostics: [PolicyDiagnostic]
    /// Settings that do not work (together), and files that could not be read.
    public var errors: [AlertingConfigurationError]

    public init(diagnostics: [PolicyDiagnostic] = [], errors: [AlertingConfigurationError] = []) {
        self.diagnostics = diagnostics
        self.errors = errors
    }

    public var description: String {
        (diagnostics.map(\.description) + errors.map(\.description)).joined(separator: "\n")
    }
}
