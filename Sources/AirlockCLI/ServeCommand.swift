import AirlockAlerts
import AirlockDNSProxy
import AirlockEnforcement
import AirlockEvents
import AirlockHTTPProxy
import AirlockSystem

#if canImport(Glibc)
    import Glibc
#endif

/// `airlock serve --policy FILE`: the live DNS proxy in the foreground.
enum ServeCommand {
    static let usage = """
        usage: airlock serve --policy FILE [options]

        Serves DNS (UDP and TCP) to sandboxes, inspects every query with the detection engine and the
        policy, and forwards what is allowed. Decisions go out as JSON lines.

          --policy FILE        the policy (YAML); SIGHUP reloads it, a bad file is refused
          --listen ADDR:PORT   where to serve, repeatable (default 127.0.0.1:53 and [::1]:53)
          --upstream ADDR[:PORT]
                               resolver for sandboxes whose policy names none, repeatable
          --threads N          worker threads (default: one per CPU)
          --cache N            packet-cache entries per worker, 0 to turn off (default 20000)
          --log FILE           append decisions to FILE instead of standard output
          --log-level LEVEL    all (every query) | notable (blocks, verdicts, errors) | none (default all)
          --alerts FILE        alert sinks and metrics from the `alerts:` section of FILE (YAML): file,
                               stdout, syslog (udp/tcp), webhook, metrics; checked before serving
        \(HTTPOptions.usage)
        \(FleetMode.usage)

        Signals: SIGHUP reloads the policy and reopens the log files, SIGUSR2 only reopens the log files
        (decision logs, alert file sinks: after logrotate moved them), SIGUSR1 prints counters to
        standard error, SIGINT/SIGTERM stop.
        """

    static func run(_ args: [String]) throws -> Int32 {
        let parsed = try Arguments(
            args,
            valued: Set([
                "--policy", "--listen", "--upstream", "--threads", "--cache", "--log", "--log-level", "--alerts",
                "--fleet-instance",
            ])
                .union(HTTPOptions.valued),
            switches: Set(["--help", "-h"]).union(HTTPOptions.switches))
        if parsed.has("--help") || parsed.has("-h") {
            OutputStream.standardOutput.line(usage)
            return 0
        }
        guard let policyPath = parsed.value("--policy") else { throw UsageError.missingArgument("--policy FILE") }
        MemoryAllocator.returnLargeBlocksToTheSystem()
        let listen = try parsed.values("--listen").map { try endpoint($0, option: "--listen", listening: true) }
        let upstreams = try parsed.values("--upstream").map {
            try endpoint($0, option: "--upstream", listening: false)
        }
        var configuration = ProxyConfiguration(
            listen: listen.isEmpty
                ? [Endpoint(address: .v4(0x7F00_0001), port: 53), Endpoint(address: .v6(high: 0, low: 1), port: 53)]
                : listen,
            upstreams: upstreams)
        configuration.threads =
            try number(parsed.value("--threads"), "--threads") ?? Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        configuration.cacheEntries = try number(parsed.value("--cache"), "--cache") ?? configuration.cacheEntries
        if let level = parsed.value("--log-level") {
            guard let value = DecisionLogLevel(rawValue: level) else {
                throw UsageError.invalidValue(option: "--log-level", value: level, expected: "all, notable or none")
            }
            configuration.logLevel = value
        }

        let err = OutputStream.standardError
        let policy: PolicySnapshot
        do {
            policy = try PolicySnapshot.load(path: policyPath, defaultUpstreams: upstreams)
        } catch {
            err.line("airlock serve: \(error)")
            return 1
        }
        let logFiles = LogFiles()
        var log: DecisionLog = JSONLinesDecisionLog(try logFiles.file(parsed.value("--log")))
        var alerts: AlertPipeline?
        if let path = parsed.value("--alerts") {
            do {
                let alertConfiguration = try AlertingConfiguration.load(path: path)
                let pipeline = try AlertPipeline(configuration: alertConfiguration, liveClock: true)
                log = AlertingDecisionLog(
                    sink: pipeline, forwardingTo: log, nextLevel: configuration.logLevel,
                    builder: DecisionEventBuilder(enforcement: .enforce, quarantine: true, policyVersion: policy.version))
                alerts = pipeline
                pipeline.metrics.policyVersion.withLock { $0 = policy.version }
                // Alerting sees every record; the JSON-lines log still gets only what --log-level asks.
                configuration.logLevel = .all
                let latency = pipeline.metrics.upstreamLatency
                configuration.upstreamLatencyObserver = { latency.observe(seconds: $0) }
                err.line("airlock serve: alerts to \(pipeline.sinkNames.joined(separator: ", "))"
                    + (pipeline.metricsServer.map { "; metrics on http://\($0.host):\($0.port)/metrics" } ?? ""))
            } catch {
                err.line("airlock serve: --alerts \(path): \(error)")
                return 1
            }
        }

        // Name-based sets for non-HTTP clients: the privileged feeder starts before root is dropped.
        let fqdn = try parsed.values("--fqdn-set").map(FQDNSets.Mapping.parse)
        if !fqdn.isEmpty {
            let writer = try FQDNSets.startFeeder(fqdn)
            configuration.answerObserver = { client, addresses, ttl in
                writer.answer(client: client, addresses: addresses, ttl: ttl)
            }
        }

        // Signals are taken by this thread alone: block them before any worker starts.
        ProxySignals.block()
        let server = try DNSProxyServer(configuration: configuration, policy: policy, log: log)
        // The HTTP proxy shares the DNS server's policy and engine: names it resolves for a sandbox
        // count toward the same verdicts, quarantines and budgets as that sandbox's own queries.
        var http: HTTPProxyServer?
        var resolver: DNSCoreResolver?
        if var httpConfiguration = try HTTPOptions.configuration(parsed) {
            var httpLog = try HTTPOptions.log(parsed, fallbackPath: parsed.value("--log"), files: logFiles)
            if let alerts {
                // Alerting sees every HTTP decision; the JSON-lines log keeps what --http-log-level asks.
                httpLog = AlertingHTTPDecisionLog(
                    sink: alerts, forwardingTo: httpLog, nextLevel: httpConfiguration.logLevel,
                    builder: DecisionEventBuilder(enforcement: .enforce, quarantine: true, policyVersion: policy.version))
                httpConfiguration.logLevel = .all
            }
            let dnsLog = log
            http = try HTTPProxyServer(
                configuration: httpConfiguration, policies: server.shared.policies, log: httpLog
            ) { local throws(SystemError) in
                // The HTTP proxy resolves through the DNS core: the same policy, engine and log.
                let made = try DNSCoreResolver(configuration: configuration, shared: server.shared, local: local, log: dnsLog)
                resolver = made
                return made
            }
        }
        if let user = parsed.value("--user") { try Privileges.drop(to: user) }
        try server.start()
        try resolver?.start()
        try http?.start()
        // Fleet sync runs on its own thread; the workers only meet it when a batch is swapped.
        let fleet = try FleetMode.start(
            policy: policy, shared: server.shared, instanceOption: parsed.value("--fleet-instance"), alerts: alerts,
            err: err)
        if let http {
            err.line(
                "airlock serve: HTTP proxy on \(http.listening.map { $0.description }.joined(separator: ", "))"
                    + (http.listeningTransparent.isEmpty
                        ? "" : "; transparent on \(http.listeningTransparent.map { $0.description }.joined(separator: ", "))"))
        }
        err.line(
            "airlock serve: listening on \(server.listening.map(\.description).joined(separator: ", ")) (udp, tcp); "
                + "\(configuration.threads) threads; policy \(policyPath) sha256:\(policy.version); "
                + "cache \(configuration.cacheEntries) entries per thread; log level \(configuration.logLevel.rawValue)"
        )
        while true {
            switch ProxySignals.next() {
            case .reopenLogs:
                logFiles.reopenAll(alerts: alerts, command: "serve", signal: "SIGUSR2", err: err)
            case .reload:
                logFiles.reopenAll(alerts: alerts, command: "serve", signal: "SIGHUP", err: err)
                switch server.reload(path: policyPath) {
                case .success(let snapshot):
                    if snapshot.policy.fleet != policy.policy.fleet {
                        err.line("airlock serve: SIGHUP: the fleet section changed; it takes effect at the next start")
                    }
                    alerts?.metrics.policyReloads.increment()
                    alerts?.metrics.policyVersion.withLock { $0 = snapshot.version }
                    err.line("airlock serve: SIGHUP: policy \(policyPath) reloaded, now sha256:\(snapshot.version)")
                case .failure(let error):
                    alerts?.metrics.policyReloadFailures.increment()
                    err.line(
                        "airlock serve: SIGHUP: policy \(policyPath) refused, still running sha256:"
                            + "\(server.shared.policy.version):\n\(error)")
                }
            case .status:
                err.line("airlock serve: stats \(server.statistics().json)")
                if let http { err.line("airlock serve: http stats \(http.statistics().json)") }
                if let fleet { err.line("airlock serve: fleet \(FleetMode.status(fleet, server.shared))") }
            case .stop:
                http?.stop()
                resolver?.stop()
                server.stop()
                fleet?.stop()
                alerts?.finish()
                if let alerts, alerts.spooled > 0 {
                    // Durable sinks keep what they could not deliver in the drain time: it goes out
                    // after the next start, and the operator should know it is waiting.
                    err.line(
                        "airlock serve: \(alerts.spooled) alert record(s) stay in the spool, undelivered"
                            + " (\(alerts.spooledBySink.map { "\($0.key) \($0.value)" }.joined(separator: ", ")));"
                            + " they are sent after the next start")
                }
                err.line("airlock serve: stopped; stats \(server.statistics().json)")
                return 0
            }
        }
    }

    /// An address from the command line (``HostPort``): a listening address needs its port (0: any
    /// free port); an upstream's port defaults to 53.
    static func endpoint(_ text: String, option: String, listening: Bool) throws -> Endpoint {
        let parsed = HostPort.parse(text, defaultPort: listening ? nil : 53, zeroPort: listening ? .allowed : .refused)
        guard case .success(let endpoint) = parsed.flatMap({ $0.endpoint() }) else {
            let expected = listening ? "ADDRESS:PORT or [IPv6]:PORT" : "ADDRESS[:PORT] or [IPv6]:PORT"
            throw UsageError.invalidValue(option: option, value: text, expected: expected)
        }
        return endpoint
    }

    static func number(_ text: String?, _ option: String) throws -> Int? {
        guard let text else { return nil }
        guard let value = Int(text), value >= 0 else {
            throw UsageError.invalidValue(option: option, value: text, expected: "a whole number")
        }
        return value
    }
}
