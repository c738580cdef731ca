import AirlockEnforcement
import AirlockEvents
import AirlockHTTPWire

/// How the HTTP proxy runs (the policy file says what to allow; this says how). Every limit has a
/// documented default so memory and time per client are bounded whatever it sends.
public struct HTTPProxyConfiguration: Sendable {
    /// Addresses to accept proxy clients on (TCP).
    public var listen: [Endpoint]
    /// Addresses that receive connections nftables redirected from sandboxes (80 and 443 of any
    /// destination): TLS is routed by SNI, plain HTTP by Host. Empty: no transparent mode.
    public var transparentListen: [Endpoint] = []
    /// Worker threads, each with its own SO_REUSEPORT listener and epoll loop.
    public var threads: Int = 1
    /// Head size, header count and chunk bounds for the parsers.
    public var limits = HTTPLimits()
    /// Open client connections per worker; when full, the client holding the most loses its oldest
    /// idle connection to a newcomer holding fewer, else the newcomer is accepted and closed at once.
    public var maxConnectionsPerWorker: Int = 4_096
    /// Connections one client address may hold per worker (a sixteenth of the worker's: sixteen
    /// clients at their share fill it). At it, a new one closes the client's oldest idle connection,
    /// or is refused when all are busy.
    public var maxConnectionsPerClient: Int = 256
    /// Connections one client address may hold per worker that wait for a request head (pending
    /// heads: idle keep-alives, slow or silent openers); each new one past it closes the oldest.
    public var maxIdleConnectionsPerClient: Int = 64
    /// Time from connect (or the end of the previous exchange) to a complete request head.
    public var headTimeoutSeconds: Int = 30
    /// Keep-alive connections with nothing in flight are closed after this long.
    public var keepAliveIdleSeconds: Int = 120
    /// Time for the TLS ClientHello to arrive after CONNECT's 200.
    public var helloTimeoutSeconds: Int = 10
    /// Time for an upstream TCP connect.
    public var connectTimeoutSeconds: Int = 10
    /// Time for a name to resolve through Airlock's DNS path.
    public var resolveTimeoutSeconds: Int = 10
    /// A tunnel or response with no bytes either way for this long is closed.
    public var idleTimeoutSeconds: Int = 300
    /// A tunnel is closed after this long whatever it does (long-lived channels are where slow
    /// exfiltration hides; clients reconnect).
    public var tunnelMaxSeconds: Int = 3_600
    /// Bytes read per system call when relaying, and the most buffered toward one side before the
    /// other side stops being read (back-pressure).
    public var relayBufferBytes: Int = 256 * 1024
    /// Require a valid `Proxy-Authorization` token on every request (407 otherwise).
    public var requireToken = false
    /// HMAC key for tokens; nil means tokens are neither required nor accepted.
    public var tokenKey: [UInt8]?
    /// Relay CONNECT tunnels that do not start with TLS (SSH, raw TCP). Off: a tunnel must be TLS
    /// so its server name can be checked.
    public var allowNonTLSTunnels = false
    /// Let requests reach the addresses of the proxy's own host when the policy's
    /// `allow_private_destinations` covers them. Off: for benchmarks with every server on one
    /// machine, never where sandboxes run (the host's other services would be reachable).
    public var allowOwnHostDestinations = false
    /// Requests per sandbox and destination per window before `http.request_rate` refuses more.
    public var requestRateLimit: Int = 1_200
    public var requestRateWindowSeconds: Int = 60
    /// Bits of distinct high-entropy URL/header tokens per sandbox and destination per upload
    /// window before `http.url_entropy` refuses more (32768 bits = 4 KiB, the DNS leak budget's default).
    public var entropyBudgetBits: Double = 32_768
    /// What counts as a high-entropy token.
    public var entropy = RequestEntropy()
    /// Which decisions are logged.
    public var logLevel: DecisionLogLevel = .all

    public init(listen: [Endpoint]) {
        self.listen = listen
    }
}
