import AirlockEnforcement
import AirlockEvents
import AirlockSystem
import Synchronization

/// The live HTTP egress proxy: worker threads with their own SO_REUSEPORT listeners, resolving
/// names through the ``NameResolver`` the composition root gives it (the DNS core's, in Airlock).
///
/// Binding happens in `init` (a busy port fails before anything runs; port 0 is resolved by the
/// first worker and reused by the others, for tests).
public final class HTTPProxyServer: Sendable {
    public let context: EgressContext
    /// The addresses actually served.
    public let listening: [Endpoint]
    /// The transparent-mode addresses actually served.
    public let listeningTransparent: [Endpoint]
    private let workers: [HTTPWorker]
    private let threads = ThreadGroup()

    /// - Parameters:
    ///   - policies: the policy in force. Pass the DNS server's store so a reload changes both proxies.
    ///   - resolver: makes the resolver, given the address lookups appear to arrive on (the first
    ///     listener, once bound). The caller starts and stops it around ``start()`` and ``stop()``.
    public init(
        configuration: HTTPProxyConfiguration, policies: PolicyStore, log: HTTPDecisionLog?,
        resolver makeResolver: (_ local: Endpoint) throws(SystemError) -> any NameResolver
    ) throws(SystemError) {
        precondition(
            !configuration.listen.isEmpty || !configuration.transparentListen.isEmpty,
            "nothing to listen on (the command line always gives an address)")
        let context = EgressContext(configuration: configuration, policies: policies)
        context.updateOwnHost(HostAddresses.current())
        self.context = context
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
        let resolver = try makeResolver((resolved + transparent)[0])
        var workers: [HTTPWorker] = []
        for (index, fds) in listenerFDs.enumerated() {
            let worker = try HTTPWorker(index: index, context: context, resolver: resolver, log: log)
            for fd in fds { try worker.addListener(fd) }
            for fd in transparentFDs[index] { try worker.addTransparentListener(fd) }
            workers.append(worker)
        }
        self.workers = workers
    }

    public func start() throws(SystemError) {
        try threads.start(workers.map { worker in { worker.run() } })
    }

    /// Stops the workers (closing every connection, logging tunnel ends).
    public func stop() {
        for worker in workers { worker.stop() }
        threads.join()
    }

    public func statistics() -> HTTPProxyStats {
        var total = HTTPProxyStats()
        for worker in workers { total.add(worker.published.withLock { $0 }) }
        return total
    }
}
