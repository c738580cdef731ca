import AirlockEnforcement
import AirlockEvents

/// The proxy's own settings (the policy file holds what to allow; this holds how to run).
/// Every limit has a documented default so the proxy is bounded in memory under any traffic.
public struct ProxyConfiguration: Sendable {
    /// Addresses to serve DNS on, over both UDP and TCP.
    public var listen: [Endpoint]
    /// Upstream resolvers for sandboxes whose policy names none.
    public var upstreams: [Endpoint]
    /// Worker threads, each with its own SO_REUSEPORT sockets; default one per core.
    public var threads: Int = 1
    /// Packet-cache entries per worker; 0 turns the cache off.
    public var cacheEntries: Int = 20_000
    /// Longest time an answer is served from the cache, whatever its TTL says.
    public var maxCacheTTL: UInt32 = 86_400
    /// Longest time an NXDOMAIN or empty answer is cached (RFC 2308 suggests at most 3 hours).
    public var maxNegativeTTL: UInt32 = 3_600
    /// Queries waiting for an upstream per worker; past it new queries get SERVFAIL at once.
    public var maxPendingPerWorker: Int = 16_384
    /// UDP queries larger than this are refused FORMERR (no legitimate query comes near it).
    public var maxUDPQueryBytes: Int = 4_096
    /// Client TCP connections per worker, and how long an idle one is kept.
    public var maxTCPConnectionsPerWorker: Int = 512
    public var tcpIdleSeconds: Int = 10
    /// Connected UDP sockets per upstream per worker; each is replaced after ``upstreamSocketUses``
    /// queries (and at least a quarter second) so the source port keeps changing (the kernel picks a
    /// random ephemeral port). Fewer sockets mean larger batches per system call.
    public var upstreamSocketsPerUpstream: Int = 2
    public var upstreamSocketUses: Int = 512
    /// Which decisions reach the log.
    public var logLevel: DecisionLogLevel = .all
    /// Called with the seconds from a query's arrival to its upstream answer (retries included), on
    /// the worker's thread: how the alerting metrics' upstream latency histogram is fed.
    public var upstreamLatencyObserver: (@Sendable (_ seconds: Double) -> Void)?
    /// Called with the A/AAAA addresses of every answer a client actually received (blocked answers
    /// never), and the answer's smallest TTL, on the worker's thread: how name-based firewall sets
    /// are fed (`airlock serve --fqdn-set`), so a sandbox may reach exactly what its allowed names
    /// resolved to, for as long as the answers live. Must not block.
    public var answerObserver: (@Sendable (_ client: IPAddress, _ addresses: [IPAddress], _ ttl: UInt32) -> Void)?

    public init(listen: [Endpoint], upstreams: [Endpoint]) {
        self.listen = listen
        self.upstreams = upstreams
    }
}
