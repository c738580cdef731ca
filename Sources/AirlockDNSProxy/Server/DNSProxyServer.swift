import AirlockEnforcement
import AirlockEngine
import AirlockEvents
import AirlockSystem
import Synchronization

/// The live DNS proxy: worker threads around ``DNSProxyCore``s sharing one ``SharedInspection``.
///
/// Every worker binds its own UDP and TCP socket on every listen address with SO_REUSEPORT, so the
/// kernel spreads clients over the workers. Binding happens in `init`, so a busy port or a missing
/// address fails before anything runs; a port of 0 is resolved by the first worker and reused by the
/// others (tests use it).
public final class DNSProxyServer: Sendable {
    public let configuration: ProxyConfiguration
    public let shared: SharedInspection
    /// The addresses actually served (ports resolved when 0 was asked for).
    public let listening: [Endpoint]
    private let workers: [ProxyWorker]
    private let threads = ThreadGroup()

    public init(configuration: ProxyConfiguration, policy: PolicySnapshot, log: DecisionLog?) throws(SystemError) {
        precondition(!configuration.listen.isEmpty, "nothing to listen on (the command line always gives an address)")
        self.configuration = configuration
        self.shared = SharedInspection(policy: policy)
        var workers: [ProxyWorker] = []
        var resolved = configuration.listen
        for index in 0..<max(configuration.threads, 1) {
            let worker = try ProxyWorker(
                index: index, core: DNSProxyCore(configuration: configuration, shared: shared), log: log)
            for (i, endpoint) in resolved.enumerated() {
                let udp = try Socket.listener(.udp, on: endpoint)
                var local = endpoint
                if endpoint.port == 0, let bound = Socket.localEndpoint(udp) {
                    local = bound
                    resolved[i] = bound
                }
                try worker.addUDPListener(fd: udp, local: local)
                let tcp = try Socket.listener(.tcp, on: local)
                try worker.addTCPListener(fd: tcp, local: local)
            }
            workers.append(worker)
        }
        self.workers = workers
        self.listening = resolved
    }

    /// Starts one thread per worker.
    public func start() throws(SystemError) {
        try threads.start(workers.map { worker in { worker.run() } })
    }

    /// Stops every worker and waits for its thread.
    public func stop() {
        for worker in workers { worker.stop() }
        threads.join()
    }

    /// Counters summed over the workers (as of their last report, at most a second old).
    public func statistics() -> ProxyStats {
        var total = ProxyStats()
        for worker in workers { total.add(worker.published.withLock { $0 }) }
        return total
    }

    /// Loads `path` and, when it validates, puts it in force; the running policy stays otherwise.
    public func reload(path: String) -> Result<PolicySnapshot, PolicyLoadError> {
        do {
            let snapshot = try PolicySnapshot.load(path: path, defaultUpstreams: configuration.upstreams)
            shared.install(snapshot)
            return .success(snapshot)
        } catch {
            return .failure(error)
        }
    }
}
