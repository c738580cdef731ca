import AirlockDNSProxy
import AirlockEnforcement
import AirlockEvents
import AirlockHTTPProxy

#if canImport(Glibc)
    import Glibc
#endif

/// The HTTP proxy's command-line options, shared by `airlock serve` (both proxies in one process,
/// one detection engine) and `airlock http-proxy` (the HTTP proxy alone).
enum HTTPOptions {
    static let valued: Set<String> = [
        "--http-listen", "--http-threads", "--token-key", "--http-log", "--user", "--http-rate-limit",
        "--http-log-level",
        "--http-transparent", "--fqdn-set",
    ]
    static let switches: Set<String> = ["--require-token", "--allow-non-tls-tunnels", "--allow-own-host"]

    static let usage = """
          --http-listen ADDR:PORT
                               serve the HTTP egress proxy (forward and CONNECT) there, repeatable
          --http-transparent ADDR:PORT
                               accept connections nftables redirected from sandboxes (80 and 443):
                               TLS routed by SNI, HTTP by Host (Deploy/sandbox.sh --transparent PORT)
          --http-threads N     HTTP worker threads (default: one per CPU)
          --http-log FILE      HTTP decisions to FILE (default: the DNS decision log)
          --token-key FILE     HMAC key for proxy tokens (airlock token); tokens are then accepted
          --require-token      refuse requests without a valid token (407)
          --http-rate-limit N  requests per minute per sandbox and destination (default 1200; 0: no limit)
          --http-log-level L   all | notable (refusals, errors, cut-offs) | none (default all)
          --allow-non-tls-tunnels
                               relay CONNECT tunnels that do not start with TLS (unchecked content)
          --allow-own-host     let requests reach this host's own addresses where allow_private_destinations
                               covers them (benchmarks on one machine only: refused by default)
          --fqdn-set CIDR=FAMILY/TABLE/SET
                               feed the addresses of answers to clients in CIDR into that nftables set
                               (with the answers' TTL), for non-HTTP clients (Deploy/sandbox.sh --fqdn-set)
          --user NAME          after binding the ports, drop to this user (and its group)
        """

    /// The HTTP configuration from parsed options; nil when no `--http-listen` (or `listen`) is given.
    static func configuration(_ parsed: Arguments, listen explicit: [Endpoint]? = nil) throws -> HTTPProxyConfiguration?
    {
        let listen =
            try explicit
            ?? parsed.values("--http-listen").map {
                try ServeCommand.endpoint($0, option: "--http-listen", listening: true)
            }
        let transparent = try parsed.values("--http-transparent").map {
            try ServeCommand.endpoint($0, option: "--http-transparent", listening: true)
        }
        guard !listen.isEmpty || !transparent.isEmpty else { return nil }
        var configuration = HTTPProxyConfiguration(listen: listen)
        configuration.transparentListen = transparent
        configuration.threads =
            try ServeCommand.number(parsed.value("--http-threads"), "--http-threads")
            ?? Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        if let path = parsed.value("--token-key") {
            configuration.tokenKey = try ProxyKey.load(path: path)
        }
        configuration.requireToken = parsed.has("--require-token")
        if configuration.requireToken && configuration.tokenKey == nil {
            throw UsageError.missingArgument("--token-key FILE (needed by --require-token)")
        }
        configuration.allowNonTLSTunnels = parsed.has("--allow-non-tls-tunnels")
        configuration.allowOwnHostDestinations = parsed.has("--allow-own-host")
        if let rate = try ServeCommand.number(parsed.value("--http-rate-limit"), "--http-rate-limit") {
            configuration.requestRateLimit = rate == 0 ? Int.max : rate
            configuration.requestRateWindowSeconds = 60
        }
        if let level = parsed.value("--http-log-level") {
            guard let value = DecisionLogLevel(rawValue: level) else {
                throw UsageError.invalidValue(
                    option: "--http-log-level", value: level, expected: "all, notable or none")
            }
            configuration.logLevel = value
        }
        return configuration
    }

    /// The log for HTTP decisions: `--http-log`, else `fallback`, through `files` (reopened on signals).
    static func log(_ parsed: Arguments, fallbackPath: String?, files: LogFiles) throws -> HTTPDecisionLog {
        JSONLinesHTTPDecisionLog(try files.file(parsed.value("--http-log") ?? fallbackPath))
    }
}

/// Dropping root after the privileged ports are bound, before any worker thread starts.
enum Privileges {
    enum Failure: Error, CustomStringConvertible {
        case unknownUser(String)
        case call(String, Int32)

        var description: String {
            switch self {
            case .unknownUser(let name): return "--user: no user named '\(name)'"
            case .call(let call, let code): return "--user: \(call): \(String(cString: strerror(code)))"
            }
        }
    }

    /// Switches to `name`'s uid and gid with no supplementary groups; fails if any step fails or
    /// root could be regained.
    static func drop(to name: String) throws(Failure) {
        guard let entry = getpwnam(name) else { throw .unknownUser(name) }
        let uid = entry.pointee.pw_uid
        let gid = entry.pointee.pw_gid
        guard setgroups(0, nil) == 0 else { throw .call("setgroups", errno) }
        guard setgid(gid) == 0 else { throw .call("setgid", errno) }
        guard setuid(uid) == 0 else { throw .call("setuid", errno) }
        if uid != 0 && setuid(0) == 0 { throw .call("setuid(0) still succeeds", EPERM) }
    }
}
