import AirlockDNSProxy
import AirlockEnforcement
import AirlockEvents
import AirlockHTTPProxy
import AirlockSystem

#if canImport(Glibc)
    import Glibc
#endif

/// `airlock http-proxy --policy FILE --listen ADDR:PORT`: the HTTP egress proxy alone. Names are
/// resolved through Airlock's DNS core in this process (same policy, its own engine); to share one
/// engine with the DNS proxy, run both with `airlock serve --http-listen`.
enum HTTPProxyCommand {
    static let usage = """
        usage: airlock http-proxy --policy FILE --listen ADDR:PORT [options]

        Serves the HTTP egress proxy: absolute-form HTTP requests and CONNECT tunnels, checked against the
        policy's http section; host names resolved through Airlock's DNS path (dns section, detection).

          --policy FILE        the policy (YAML); SIGHUP reloads it
          --listen ADDR:PORT   where to accept proxy clients, repeatable
          --upstream ADDR[:PORT]
                               resolver for sandboxes whose policy names none, repeatable
          --log FILE           decisions as JSON lines (default standard output)
          --threads N          worker threads (default: one per CPU)
          --token-key FILE     HMAC key for proxy tokens (airlock token)
          --require-token      refuse requests without a valid token (407)
          --allow-non-tls-tunnels
                               relay CONNECT tunnels that do not start with TLS
          --allow-own-host     let requests reach this host's own addresses where the policy's
                               allow_private_destinations covers them (benchmarks on one machine only)
          --user NAME          drop to this user after binding
          --http-transparent ADDR:PORT
                               also accept connections nftables redirected (TLS by SNI, HTTP by Host)
          --http-rate-limit N  requests per minute per sandbox and destination (default 1200; 0: no limit)
          --http-log-level L   all | notable | none (default all)

        Signals: SIGHUP reloads the policy and reopens the log files, SIGUSR2 only reopens the log files,
        SIGUSR1 prints counters, SIGINT/SIGTERM stop.
        """

    static func run(_ args: [String]) throws -> Int32 {
        let parsed = try Arguments(
            args,
            valued: [
                "--policy", "--listen", "--upstream", "--log", "--threads", "--token-key", "--user",
                "--http-rate-limit",
                "--http-log-level", "--http-transparent",
            ],
            switches: ["--help", "-h", "--require-token", "--allow-non-tls-tunnels", "--allow-own-host"])
        if parsed.has("--help") || parsed.has("-h") {
            OutputStream.standardOutput.line(usage)
            return 0
        }
        guard let policyPath = parsed.value("--policy") else { throw UsageError.missingArgument("--policy FILE") }
        let listen = try parsed.values("--listen").map {
            try ServeCommand.endpoint($0, option: "--listen", listening: true)
        }
        guard !listen.isEmpty else { throw UsageError.missingArgument("--listen ADDR:PORT") }
        let upstreams = try parsed.values("--upstream").map {
            try ServeCommand.endpoint($0, option: "--upstream", listening: false)
        }
        guard var configuration = try HTTPOptions.configuration(parsed, listen: listen) else { return 64 }
        configuration.threads =
            try ServeCommand.number(parsed.value("--threads"), "--threads") ?? Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))

        let err = OutputStream.standardError
        let policy: PolicySnapshot
        do {
            policy = try PolicySnapshot.load(path: policyPath, defaultUpstreams: upstreams)
        } catch {
            err.line("airlock http-proxy: \(error)")
            return 1
        }
        let logFiles = LogFiles()
        let log = try HTTPOptions.log(parsed, fallbackPath: parsed.value("--log"), files: logFiles)
        let dnsLog: DecisionLog = JSONLinesDecisionLog(try logFiles.file(parsed.value("--log")))
        ProxySignals.block()
        let dns = SharedInspection(policy: policy)
        var dnsConfiguration = ProxyConfiguration(listen: [], upstreams: upstreams)
        dnsConfiguration.logLevel = .notable
        var resolver: DNSCoreResolver?
        let server = try HTTPProxyServer(configuration: configuration, policies: dns.policies, log: log) {
            local throws(SystemError) in
            let made = try DNSCoreResolver(configuration: dnsConfiguration, shared: dns, local: local, log: dnsLog)
            resolver = made
            return made
        }
        if let user = parsed.value("--user") { try Privileges.drop(to: user) }
        try resolver?.start()
        try server.start()
        err.line(
            "airlock http-proxy: listening on \(server.listening.map(\.description).joined(separator: ", ")); "
                + "\(configuration.threads) threads; policy \(policyPath) sha256:\(policy.version)"
                + (configuration.tokenKey == nil
                    ? "" : configuration.requireToken ? "; tokens required" : "; tokens accepted"))
        while true {
            switch ProxySignals.next() {
            case .reopenLogs:
                logFiles.reopenAll(alerts: nil, command: "http-proxy", signal: "SIGUSR2", err: err)
            case .reload:
                logFiles.reopenAll(alerts: nil, command: "http-proxy", signal: "SIGHUP", err: err)
                do {
                    let snapshot = try PolicySnapshot.load(path: policyPath, defaultUpstreams: upstreams)
                    dns.install(snapshot)
                    err.line("airlock http-proxy: SIGHUP: policy reloaded, now sha256:\(snapshot.version)")
                } catch {
                    err.line(
                        "airlock http-proxy: SIGHUP: policy \(policyPath) refused, still running sha256:\(dns.policy.version):\n\(error)"
                    )
                }
            case .status:
                err.line("airlock http-proxy: stats \(server.statistics().json)")
            case .stop:
                server.stop()
                resolver?.stop()
                err.line("airlock http-proxy: stopped; stats \(server.statistics().json)")
                return 0
            }
        }
    }
}
