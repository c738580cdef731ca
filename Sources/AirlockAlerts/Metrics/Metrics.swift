import AirlockEnforcement
import AirlockEvents
import AirlockSystem
import Foundation
import Synchronization

/// A monotonically increasing count, safe to bump from any thread (one relaxed atomic add).
public final class Counter: Sendable {
    private let storage = Atomic<Int>(0)

    public init() {}

    public func increment(by n: Int = 1) { storage.add(n, ordering: .relaxed) }
    public var value: Int { storage.load(ordering: .relaxed) }
}

/// Counters for a fixed set of label values known up front (actions, alert kinds): an array of
/// atomics indexed by the label's position, so incrementing never locks or allocates.
public final class LabeledCounter<Label: Hashable & Sendable>: Sendable {
    public let labels: [Label]
    private let index: [Label: Int]
    private let counters: [Counter]

    public init(_ labels: [Label]) {
        self.labels = labels
        self.index = Dictionary(uniqueKeysWithValues: labels.enumerated().map { ($1, $0) })
        self.counters = labels.map { _ in Counter() }
    }

    public func increment(_ label: Label, by n: Int = 1) {
        if let i = index[label] { counters[i].increment(by: n) }
    }

    public func value(_ label: Label) -> Int { index[label].map { counters[$0].value } ?? 0 }
}

/// Counters whose label values are only known at run time (malformed-packet reasons, sink names).
/// A mutex-guarded dictionary: for events rare enough that a lock costs nothing that matters.
public final class DynamicCounter: Sendable {
    private let values = Mutex<[String: Int]>([:])

    public init() {}

    public func increment(_ label: String, by n: Int = 1) { values.withLock { $0[label, default: 0] += n } }
    public func value(_ label: String) -> Int { values.withLock { $0[label] ?? 0 } }
    public var snapshot: [String: Int] { values.withLock { $0 } }
}

/// A latency histogram with fixed bucket bounds (seconds), Prometheus-style cumulative on output.
public final class Histogram: Sendable {
    public let bounds: [Double]
    private let buckets: [Counter]
    private let count = Counter()
    /// Sum in nanoseconds, kept as an integer so it can be an atomic.
    private let sumNanoseconds = Counter()

    public init(bounds: [Double]) {
        self.bounds = bounds.sorted()
        self.buckets = bounds.map { _ in Counter() }
    }

    /// Records one observation of `seconds`.
    public func observe(seconds: Double) {
        if let i = bounds.firstIndex(where: { seconds <= $0 }) { buckets[i].increment() }
        count.increment()
        sumNanoseconds.increment(by: Int(max(0, seconds) * 1e9))
    }

    /// Cumulative counts per bound, the total count and the sum in seconds.
    public var snapshot: (cumulative: [Int], count: Int, sum: Double) {
        var running = 0
        let cumulative = buckets.map { running += $0.value; return running }
        return (cumulative, count.value, Double(sumNanoseconds.value) / 1e9)
    }
}

/// Fleet mode's figures at one moment, read when metrics are scraped (the CLI fills them from the
/// fleet client and the enforcer; this module knows neither).
public struct FleetGauges: Sendable {
    /// Sync with Redis is up.
    public var connected = false
    /// Seconds since the last completed exchange with Redis (how stale the shared figures may be).
    public var lagSeconds = 0.0
    public var rounds = 0
    public var commands = 0
    public var failures = 0
    public var convictionsPublished = 0
    public var convictionsReceived = 0
    public var convictionsDropped = 0
    /// Budget keys counted fleet-wide now, and charges to keys past the cap (counted locally only).
    public var budgetKeys = 0
    public var budgetKeysRefused = 0

    public init() {}
}

/// Airlock's metrics: one registry the proxies, replay and the alert pipeline increment, rendered
/// in the Prometheus text format by ``MetricsServer``.
public final class Metrics: Sendable {
    /// DNS queries seen (every query, allowed or not).
    public let queries = Counter()
    /// Decisions by action.
    public let decisions = LabeledCounter(DecisionAction.allCases)
    /// Alerts raised (first and roll-up records) by kind.
    public let alerts = LabeledCounter(AlertKind.allCases)
    /// Decisions folded into roll-ups instead of raising their own alert.
    public let alertsFolded = Counter()
    /// Upstream resolver latency.
    public let upstreamLatency = Histogram(bounds: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5])
    /// Malformed packets or messages by reason (`dns_truncated_header`, ...).
    public let malformed = DynamicCounter()
    /// Records handed to each sink, delivered by it, and dropped (`sink/reason`).
    public let sinkEnqueued = DynamicCounter()
    public let sinkDelivered = DynamicCounter()
    public let sinkDropped = DynamicCounter()
    /// Failed delivery attempts per sink (each retry counts).
    public let sinkFailures = DynamicCounter()
    /// Records waiting in each sink's spool, and its bytes.
    public let spoolDepth = Mutex<[String: Int]>([:])
    public let spoolBytes = Mutex<[String: Int]>([:])

    /// HTTP proxy decisions by stage and action (`request/allow`, `destination/block`, …; end
    /// records are exchanges, counted below).
    public let httpDecisions = DynamicCounter()
    /// HTTP exchanges that ended (response relayed, tunnel closed, exchange cut), their bytes by
    /// direction, and their duration from the request head to the end.
    public let httpExchanges = Counter()
    public let httpBytesUp = Counter()
    public let httpBytesDown = Counter()
    public let httpDuration = Histogram(bounds: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300])
    /// Policy reloads (SIGHUP) accepted and refused, and the version in force.
    public let policyReloads = Counter()
    public let policyReloadFailures = Counter()
    public let policyVersion = Mutex<String?>(nil)
    /// Fleet mode's figures, read at each scrape; nil when fleet mode is off.
    public let fleet = Mutex<(@Sendable () -> FleetGauges)?>(nil)
    /// Version of this build, for `airlock_build_info`.
    public let buildVersion: String

    public init(buildVersion: String = ProductInfo.airlock.version) {
        self.buildVersion = buildVersion
    }

    /// Counts one HTTP proxy record.
    public func observe(http r: HTTPDecisionRecord) {
        guard r.action == .end else {
            httpDecisions.increment("\(r.stage.rawValue)/\(r.action.rawValue)")
            return
        }
        httpExchanges.increment()
        httpBytesUp.increment(by: r.bytesUp ?? 0)
        httpBytesDown.increment(by: r.bytesDown ?? 0)
        if let seconds = r.durationSeconds { httpDuration.observe(seconds: seconds) }
    }

    /// The Prometheus text exposition format (version 0.0.4).
    public func render() -> String {
        var out = ""
        func family(_ name: String, _ type: String, _ help: String) {
            out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
        }
        func sample(_ name: String, _ labels: [(String, String)], _ value: String) {
            out += name
            if !labels.isEmpty {
                out += "{" + labels.map { "\($0.0)=\"\(Self.escape($0.1))\"" }.joined(separator: ",") + "}"
            }
            out += " \(value)\n"
        }
        family("airlock_dns_queries_total", "counter", "DNS queries seen.")
        sample("airlock_dns_queries_total", [], String(queries.value))
        family("airlock_decisions_total", "counter", "Decisions by action.")
        for action in decisions.labels { sample("airlock_decisions_total", [("action", action.rawValue)], String(decisions.value(action))) }
        family("airlock_alerts_total", "counter", "Alert records raised (first and roll-up) by kind.")
        for kind in alerts.labels { sample("airlock_alerts_total", [("kind", kind.rawValue)], String(alerts.value(kind))) }
        family("airlock_alerts_folded_total", "counter", "Repeated decisions folded into roll-ups.")
        sample("airlock_alerts_folded_total", [], String(alertsFolded.value))
        let h = upstreamLatency.snapshot
        family("airlock_upstream_latency_seconds", "histogram", "Upstream resolver response time.")
        for (bound, count) in zip(upstreamLatency.bounds, h.cumulative) {
            sample("airlock_upstream_latency_seconds_bucket", [("le", Self.number(bound))], String(count))
        }
        sample("airlock_upstream_latency_seconds_bucket", [("le", "+Inf")], String(h.count))
        sample("airlock_upstream_latency_seconds_sum", [], Self.number(h.sum))
        sample("airlock_upstream_latency_seconds_count", [], String(h.count))
        family("airlock_malformed_total", "counter", "Malformed packets or messages by reason.")
        for (reason, n) in malformed.snapshot.sorted(by: { $0.key < $1.key }) {
            sample("airlock_malformed_total", [("reason", reason)], String(n))
        }
        for (name, counter, help) in [
            ("airlock_sink_enqueued_total", sinkEnqueued, "Alert records handed to a sink."),
            ("airlock_sink_delivered_total", sinkDelivered, "Alert records a sink delivered."),
            ("airlock_sink_failures_total", sinkFailures, "Failed delivery attempts."),
        ] {
            family(name, "counter", help)
            for (sink, n) in counter.snapshot.sorted(by: { $0.key < $1.key }) { sample(name, [("sink", sink)], String(n)) }
        }
        family("airlock_sink_dropped_total", "counter", "Alert records a sink dropped, by reason.")
        for (key, n) in sinkDropped.snapshot.sorted(by: { $0.key < $1.key }) {
            let parts = key.split(separator: "/", maxSplits: 1).map(String.init)
            sample("airlock_sink_dropped_total", [("sink", parts[0]), ("reason", parts.count > 1 ? parts[1] : "")], String(n))
        }
        family("airlock_spool_depth", "gauge", "Alert records waiting in a sink's spool.")
        for (sink, n) in spoolDepth.withLock({ $0 }).sorted(by: { $0.key < $1.key }) {
            sample("airlock_spool_depth", [("sink", sink)], String(n))
        }
        family("airlock_spool_bytes", "gauge", "Bytes waiting in a sink's spool.")
        for (sink, n) in spoolBytes.withLock({ $0 }).sorted(by: { $0.key < $1.key }) {
            sample("airlock_spool_bytes", [("sink", sink)], String(n))
        }

        family("airlock_http_decisions_total", "counter", "HTTP proxy decisions by stage and action.")
        for (key, n) in httpDecisions.snapshot.sorted(by: { $0.key < $1.key }) {
            let parts = key.split(separator: "/", maxSplits: 1).map(String.init)
            sample("airlock_http_decisions_total", [("stage", parts[0]), ("action", parts.count > 1 ? parts[1] : "")], String(n))
        }
        family("airlock_http_exchanges_total", "counter", "HTTP exchanges and CONNECT tunnels that ended.")
        sample("airlock_http_exchanges_total", [], String(httpExchanges.value))
        family("airlock_http_bytes_total", "counter", "HTTP body and tunnel bytes relayed, by direction.")
        sample("airlock_http_bytes_total", [("direction", "up")], String(httpBytesUp.value))
        sample("airlock_http_bytes_total", [("direction", "down")], String(httpBytesDown.value))
        let d = httpDuration.snapshot
        family("airlock_http_exchange_duration_seconds", "histogram", "HTTP exchange time from request head to end.")
        for (bound, count) in zip(httpDuration.bounds, d.cumulative) {
            sample("airlock_http_exchange_duration_seconds_bucket", [("le", Self.number(bound))], String(count))
        }
        sample("airlock_http_exchange_duration_seconds_bucket", [("le", "+Inf")], String(d.count))
        sample("airlock_http_exchange_duration_seconds_sum", [], Self.number(d.sum))
        sample("airlock_http_exchange_duration_seconds_count", [], String(d.count))

        family("airlock_policy_reloads_total", "counter", "Policy reloads (SIGHUP) accepted.")
        sample("airlock_policy_reloads_total", [], String(policyReloads.value))
        family("airlock_policy_reload_failures_total", "counter", "Policy reloads refused (the old policy stayed).")
        sample("airlock_policy_reload_failures_total", [], String(policyReloadFailures.value))
        if let version = policyVersion.withLock({ $0 }) {
            family("airlock_policy_info", "gauge", "The policy in force: its SHA-256 as a label.")
            sample("airlock_policy_info", [("version", "sha256:" + version)], "1")
        }
        if let read = fleet.withLock({ $0 }) {
            let f = read()
            family("airlock_fleet_connected", "gauge", "Fleet sync with Redis is up (1) or lost (0).")
            sample("airlock_fleet_connected", [], f.connected ? "1" : "0")
            family("airlock_fleet_sync_lag_seconds", "gauge", "Seconds since the last completed exchange with Redis.")
            sample("airlock_fleet_sync_lag_seconds", [], Self.number(f.lagSeconds))
            family("airlock_fleet_rounds_total", "counter", "Sync rounds started (one per sync interval while up).")
            sample("airlock_fleet_rounds_total", [], String(f.rounds))
            family("airlock_fleet_redis_commands_total", "counter", "Commands sent to Redis.")
            sample("airlock_fleet_redis_commands_total", [], String(f.commands))
            family("airlock_fleet_sync_failures_total", "counter", "Connections to Redis that failed or were given up.")
            sample("airlock_fleet_sync_failures_total", [], String(f.failures))
            family("airlock_fleet_convictions_total", "counter", "Convictions published to and received from the fleet.")
            sample("airlock_fleet_convictions_total", [("direction", "published")], String(f.convictionsPublished))
            sample("airlock_fleet_convictions_total", [("direction", "received")], String(f.convictionsReceived))
            family("airlock_fleet_convictions_dropped_total", "counter", "Convictions dropped unpublished (outbox full).")
            sample("airlock_fleet_convictions_dropped_total", [], String(f.convictionsDropped))
            family("airlock_fleet_budget_keys", "gauge", "Budget keys counted fleet-wide.")
            sample("airlock_fleet_budget_keys", [], String(f.budgetKeys))
            family(
                "airlock_fleet_budget_keys_refused_total", "counter",
                "Charges to budget keys past max_budget_keys (counted locally only).")
            sample("airlock_fleet_budget_keys_refused_total", [], String(f.budgetKeysRefused))
        }
        family("airlock_build_info", "gauge", "This build: version as a label.")
        sample("airlock_build_info", [("version", buildVersion)], "1")

        if let p = ProcessStats.current() {
            family("process_cpu_seconds_total", "counter", "User and system CPU time spent in seconds.")
            sample("process_cpu_seconds_total", [], Self.number(p.cpuSeconds))
            family("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.")
            sample("process_resident_memory_bytes", [], String(p.residentBytes))
            family("process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.")
            sample("process_virtual_memory_bytes", [], String(p.virtualBytes))
            family("process_open_fds", "gauge", "Number of open file descriptors.")
            sample("process_open_fds", [], String(p.openFileDescriptors))
            family("process_max_fds", "gauge", "Maximum number of open file descriptors.")
            sample("process_max_fds", [], String(p.maxFileDescriptors))
            family("process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds.")
            sample("process_start_time_seconds", [], Self.number(p.startTimeSeconds))
        }
        return out
    }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
    }

    /// Prometheus sample values and bucket bounds: ``JSON``'s numbers to the nanosecond.
    static func number(_ v: Double) -> String { JSON.number(v, decimals: 9) }
}
