import AirlockEnforcement
import AirlockEvents
import AirlockSystem
import AirlockTLSClient
import Foundation
import Synchronization

/// Why the alert pipeline could not start. Raised by the initialiser, before any traffic flows.
public enum AlertPipelineError: Error, CustomStringConvertible, Sendable {
    case configuration(AlertingConfigurationErrors)
    /// A sink could not be opened: unwritable file or spool, unresolvable host, taken port.
    case sink(setting: String, reason: String)

    public var description: String {
        switch self {
        case .configuration(let errors): return "invalid alerts configuration:\n" + errors.description
        case .sink(let setting, let reason): return "\(setting): \(reason)"
        }
    }
}

/// Decisions in, alerts out to every configured sink: the one object the DNS proxy, the HTTP proxy
/// and replay hand their decisions to.
///
/// ``submit(_:)`` never waits on a sink: routine decisions cost a counter increment and one atomic
/// load; alert-worthy ones take a short lock to aggregate, then each sink's bounded queue takes the
/// formatted record (or drops and counts it when full). Sinks deliver on their own threads; webhook
/// and TCP-syslog records go through a durable spool first (see ``Spool``).
public final class AlertPipeline: @unchecked Sendable {
    public let configuration: AlertingConfiguration
    public let metrics: Metrics
    public let metricsServer: MetricsServer?
    private let aggregator: Mutex<AlertAggregator>
    private let workers: [SinkWorker]
    /// The aggregator's next window end, readable without the lock.
    private let nextDue = Atomic<Int64>(.max)
    private let raisedCount = Atomic<Int>(0)
    private let stopFlag = Atomic<Bool>(false)
    private var ticker: Thread?
    /// Called with every alert record raised, in order (for replay summaries and tests).
    private let observer: (@Sendable (Alert) -> Void)?

    /// Validates the configuration, opens every sink (files, spools, sockets' addresses, the metrics
    /// port) and starts delivery. Every failure is thrown here, never at the first alert.
    /// - Parameters:
    ///   - liveClock: advance aggregation windows from the wall clock once a second (live proxies);
    ///     leave off for replay, where time comes only from the decisions.
    public init(
        configuration: AlertingConfiguration, metrics: Metrics = Metrics(), product: ProductInfo = .airlock,
        liveClock: Bool = false, observer: (@Sendable (Alert) -> Void)? = nil
    ) throws(AlertPipelineError) {
        do { try configuration.validate() } catch { throw .configuration(error) }
        self.configuration = configuration
        self.metrics = metrics
        self.observer = observer
        self.aggregator = Mutex(AlertAggregator(windowSeconds: configuration.windowSeconds))
        var workers: [SinkWorker] = []
        func policy(batch: Int = 100) -> SinkPolicy {
            var p = SinkPolicy()
            p.queueCapacity = configuration.queueCapacity
            p.batchSize = batch
            return p
        }
        func renderer(_ format: AlertFormat) -> @Sendable (Alert) -> [UInt8] {
            { Array(format.encode($0, product: product).utf8) }
        }
        do {
            if let f = configuration.file {
                let format = f.format ?? configuration.format
                let transport: FileTransport
                do { transport = try FileTransport(path: f.path, maxBytes: f.maxBytes, keep: f.keep) } catch {
                    throw AlertPipelineError.sink(setting: "alerts.file.path", reason: error.description)
                }
                workers.append(
                    SinkWorker(
                        name: "file", format: format, render: renderer(format), transport: transport, spool: nil,
                        metrics: metrics, policy: policy()))
            }
            if let s = configuration.stdout {
                let format = s.format ?? configuration.format
                workers.append(
                    SinkWorker(
                        name: "stdout", format: format, render: renderer(format), transport: StdoutTransport(), spool: nil,
                        metrics: metrics, policy: policy()))
            }
            for (i, s) in configuration.syslog.enumerated() {
                let setting = "alerts.syslog[\(i)]"
                let type = s.transport == .udp ? UDPSender.datagramType : TCPConnection.streamType
                do { _ = try POSIX.resolve(host: s.host, port: s.port, type: type) } catch {
                    throw AlertPipelineError.sink(setting: "\(setting).host", reason: error.description)
                }
                let format = s.format ?? configuration.format
                let formatter = SyslogFormatter(
                    facility: s.facility, hostname: s.hostname ?? POSIX.hostName, appName: s.appName,
                    processID: String(POSIX.processID), enterpriseNumber: s.enterpriseNumber,
                    maxMessageBytes: s.maxMessageBytes)
                let message = s.message
                let render: @Sendable (Alert) -> [UInt8] = { alert in
                    formatter.format(alert, message: message == .json ? format.encode(alert, product: product) : alert.summary)
                }
                let name = "syslog-\(s.transport.rawValue)-\(i)"
                if s.transport == .udp {
                    workers.append(
                        SinkWorker(
                            name: name, format: format, render: render,
                            transport: SyslogUDPTransport(host: s.host, port: s.port), spool: nil, metrics: metrics,
                            policy: policy()))
                } else {
                    let spool = try Self.openSpool(
                        s.spoolDirectory ?? "", maxBytes: s.spoolMaxBytes, fsync: s.fsync, setting: "\(setting).spool")
                    workers.append(
                        SinkWorker(
                            name: name, format: format, render: render,
                            transport: SyslogTCPTransport(host: s.host, port: s.port, timeoutMilliseconds: s.timeoutMilliseconds),
                            spool: spool, metrics: metrics, policy: policy()))
                }
            }
            if let w = configuration.webhook, case .success(let url) = WebhookURL.parse(w.url) {
                do { _ = try POSIX.resolve(host: url.host, port: url.port, type: TCPConnection.streamType) } catch {
                    throw AlertPipelineError.sink(setting: "alerts.webhook.url", reason: error.description)
                }
                var tls: TLSClientContext?
                if url.isHTTPS {
                    do { tls = try TLSClientContext(caFile: w.caFile) } catch {
                        throw AlertPipelineError.sink(
                            setting: w.caFile == nil ? "alerts.webhook.url" : "alerts.webhook.ca_file", reason: error.description)
                    }
                }
                let spool = try Self.openSpool(
                    w.spoolDirectory, maxBytes: w.spoolMaxBytes, fsync: w.fsync, setting: "alerts.webhook.spool")
                let format = w.format ?? configuration.format
                var p = policy(batch: w.batchSize)
                p.backoffInitial = w.backoffInitialSeconds
                p.backoffMaximum = w.backoffMaximumSeconds
                workers.append(
                    SinkWorker(
                        name: "webhook", format: format, render: renderer(format),
                        transport: WebhookTransport(
                            url: url, headers: w.headers.sorted { $0.key < $1.key }.map { ($0.key, $0.value) },
                            timeoutMilliseconds: w.timeoutMilliseconds, tls: tls),
                        spool: spool, metrics: metrics, policy: p))
            }
            if let m = configuration.metrics {
                do { metricsServer = try MetricsServer(host: m.host, port: m.port, metrics: metrics) } catch {
                    throw AlertPipelineError.sink(setting: "alerts.metrics.listen", reason: error.description)
                }
            } else {
                metricsServer = nil
            }
        } catch let error as AlertPipelineError {
            throw error
        } catch {
            throw .sink(setting: "alerts", reason: String(describing: error))
        }
        self.workers = workers
        for worker in workers { worker.start() }
        if liveClock {
            let thread = Thread { [self] in
                while !stopFlag.load(ordering: .relaxed) {
                    Thread.sleep(forTimeInterval: 1)
                    advance(to: Timestamp(seconds: Date().timeIntervalSince1970))
                }
            }
            thread.name = "airlock-alert-clock"
            ticker = thread
            thread.start()
        }
    }

    private static func openSpool(_ directory: String, maxBytes: Int, fsync: Bool, setting: String) throws(AlertPipelineError)
        -> Spool
    {
        do { return try Spool(directory: directory, maxBytes: maxBytes, fsync: fsync) } catch {
            throw .sink(setting: setting, reason: error.description)
        }
    }

    /// Alert records raised so far (first and roll-up).
    public var raised: Int { raisedCount.load(ordering: .relaxed) }

    /// Names of the running sinks.
    public var sinkNames: [String] { workers.map(\.name) }

    /// Records handed to sinks but not yet spooled or sent, summed over sinks.
    public var queued: Int { workers.reduce(0) { $0 + $1.queued } }

    /// Undelivered records in the spools, summed over sinks.
    public var spooled: Int { workers.reduce(0) { $0 + ($1.spool?.depth ?? 0) } }

    /// Undelivered records per spooled sink that holds any, in sink order.
    public var spooledBySink: [(key: String, value: Int)] {
        workers.compactMap { w in w.spool.flatMap { $0.depth > 0 ? (w.name, $0.depth) : nil } }
    }

    /// The last delivery error per sink, for status output.
    public var lastErrors: [String: String] {
        Dictionary(uniqueKeysWithValues: workers.compactMap { w in w.lastError.map { (w.name, $0) } })
    }

    /// Reopens every file sink's path (SIGHUP/SIGUSR2 after logrotate moved the file); returns one
    /// line per sink that could not reopen.
    public func reopenFiles() -> [String] {
        var failures: [String] = []
        for worker in workers {
            do { try worker.reopen() } catch { failures.append("\(worker.name): \(error)") }
        }
        return failures
    }

    /// Takes one decision. Never blocks on a sink.
    public func submit(_ decision: DecisionEvent) {
        metrics.decisions.increment(decision.action)
        if decision.verdict?.kind != .tunnel && decision.reason == .routine
            && decision.time.nanoseconds < nextDue.load(ordering: .relaxed)
        {
            return
        }
        aggregator.withLock { aggregator in
            let alerts = aggregator.add(decision)
            if aggregator.lastFolded { metrics.alertsFolded.increment() }
            dispatch(alerts)
            nextDue.store(aggregator.nextDueNanoseconds, ordering: .relaxed)
        }
    }

    /// Counts a routine decision without building it (the proxies' fast path for plain allows), and
    /// moves aggregation time forward when a window is due.
    public func submitRoutine(action: DecisionAction, time: Timestamp) {
        metrics.decisions.increment(action)
        advance(to: time)
    }

    /// Moves aggregation time forward (the live clock; replay calls it with packet time if it wants
    /// roll-ups before the end).
    public func advance(to time: Timestamp) {
        guard time.nanoseconds >= nextDue.load(ordering: .relaxed) else { return }
        aggregator.withLock { aggregator in
            dispatch(aggregator.advance(to: time))
            nextDue.store(aggregator.nextDueNanoseconds, ordering: .relaxed)
        }
    }

    private func dispatch(_ alerts: [Alert]) {
        for alert in alerts {
            raisedCount.add(1, ordering: .relaxed)
            metrics.alerts.increment(alert.kind)
            observer?(alert)
            for worker in workers { worker.enqueue(alert) }
        }
    }

    /// Graceful end: rolls up every open window, spools and delivers what it can within the
    /// configured drain time, and stops. Undelivered spooled alerts go out after the next start.
    public func finish() {
        aggregator.withLock { aggregator in
            dispatch(aggregator.flush())
            nextDue.store(.max, ordering: .relaxed)
        }
        stop(abandon: false)
    }

    /// Stops at once without rolling up or draining, as a crash would (for restart tests): the
    /// in-memory queues are lost, the spools stay as they are.
    public func abandon() { stop(abandon: true) }

    private func stop(abandon: Bool) {
        guard !stopFlag.exchange(true, ordering: .relaxed) else { return }
        for worker in workers {
            if abandon { worker.abandon() } else { worker.shutdown(drainSeconds: configuration.shutdownDrainSeconds) }
        }
        metricsServer?.stop()
    }

    deinit { stop(abandon: false) }
}

extension AlertAggregator {
    /// The next window end in nanoseconds (`Int64.max` when no run is open).
    var nextDueNanoseconds: Int64 { nextDueValue }
}

extension AlertPipeline: DecisionSink {
    public func countQuery() { metrics.queries.increment() }
    public func countMalformed(reason: String) { metrics.malformed.increment(reason) }
    public func observeHTTP(_ record: HTTPDecisionRecord) { metrics.observe(http: record) }
}
