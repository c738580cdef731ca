import AirlockDNSProxy
import AirlockEnforcement
import AirlockEvents
import AirlockSystem
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The live HTTP egress proxy: worker threads with their own SO_REUSEPORT listeners, and one
/// resolver thread that sends every name through Airlock's DNS path.
///
/// Binding happens in `init` (a busy port fails before anything runs; port 0 is resolved by the
/// first worker and reused by the others, for tests).
public final class HTTPProxyServer: Sendable {
    public let shared: HTTPProxyShared
    /// The addresses actually served.
    public let listening: [Endpoint]
    /// The transparent-mode addresses actually served.
    public let listeningTransparent: [Endpoint]
    private let workers: [HTTPWorker]
    private let resolver: Resolver
    private let threads = Mutex<[pthread_t]>([])

    /// - Parameters:
    ///   - dns: the DNS proxy's shared state (policy and engine). Pass the running DNS server's
    ///     `shared` so both proxies judge names with one engine; a standalone HTTP proxy makes its own.
    ///   - dnsConfiguration: upstream resolvers, timeouts and cache for the resolver's DNS core.
    ///   - dnsLog: where the resolver's DNS decisions go (the DNS server's log, typically).
    public init(
        configuration: HTTPProxyConfiguration, dns: ProxyShared, dnsConfiguration: ProxyConfiguration,
        log: HTTPDecisionLog?, dnsLog: DecisionLog?
    ) throws(SystemError) {
        precondition(
            !configuration.listen.isEmpty || !configuration.transparentListen.isEmpty,
            "nothing to listen on (the command line always gives an address)")
        let shared = HTTPProxyShared(configuration: configuration, dns: dns)
        self.shared = shared
        var resolved = configuration.listen
        var transparent = configuration.transparentListen
        var listenerFDs: [[Int32]] = []
        var transparentFDs: [[Int32]] = []
        for _ in 0..<max(configuration.threads, 1) {
            var fds: [Int32] = []
            for (i, endpoint) in resolved.enumerated() {
                let fd = try Socket.listener(.tcp, on: endpoint)
                fds.append(fd)
                if endpoint.port == 0, let bound = Socket.localEndpoint(fd) { resolved[i] = bound }
            }
            listenerFDs.append(fds)
            var tfds: [Int32] = []
            for (i, endpoint) in transparent.enumerated() {
                let fd = try Socket.listener(.tcp, on: endpoint)
                tfds.append(fd)
                if endpoint.port == 0, let bound = Socket.localEndpoint(fd) { transparent[i] = bound }
            }
            transparentFDs.append(tfds)
        }
        listening = resolved
        listeningTransparent = transparent
        var dnsConfiguration = dnsConfiguration
        dnsConfiguration.threads = 1
        // Names the proxy resolves for a sandbox open no firewall path for it: the proxy connects.
        dnsConfiguration.answerObserver = nil
        resolver = try Resolver(
            core: DNSProxyCore(configuration: dnsConfiguration, shared: dns), local: (resolved + transparent)[0],
            dnsLog: dnsLog)
        var workers: [HTTPWorker] = []
        for (index, fds) in listenerFDs.enumerated() {
            let worker = try HTTPWorker(index: index, shared: shared, resolver: resolver, log: log)
            for fd in fds { try worker.addListener(fd) }
            for fd in transparentFDs[index] { try worker.addTransparentListener(fd) }
            workers.append(worker)
        }
        self.workers = workers
    }

    public func start() throws(SystemError) {
        var started: [pthread_t] = []
        let resolver = self.resolver
        started.append(try Threads.start { resolver.run() })
        for worker in workers {
            started.append(try Threads.start { worker.run() })
        }
        threads.withLock { $0 = started }
    }

    /// Stops the workers (closing every connection, logging tunnel ends) and the resolver.
    public func stop() {
        for worker in workers { worker.stop() }
        resolver.stop()
        let running = threads.withLock { list -> [pthread_t] in
            let out = list
            list = []
            return out
        }
        for thread in running { Threads.join(thread) }
    }

    public func statistics() -> HTTPProxyStats {
        var total = HTTPProxyStats()
        for worker in workers { total.add(worker.published.withLock { $0 }) }
        return total
    }
}
