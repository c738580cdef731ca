import AirlockEvents
import AirlockSystem

#if canImport(Glibc)
    import Glibc
#endif

/// One worker's sockets toward the upstream resolvers.
///
/// UDP: a small pool of connected sockets per upstream. Connected, because the kernel then drops
/// datagrams from any other source and reports ICMP unreachable (a closed port answers at once with
/// a SERVFAIL instead of a timeout). Each socket is retired after a number of queries and replaced,
/// so the source port (picked at random by the kernel) keeps changing; a retired socket stays open
/// long enough to take its late answers.
///
/// TCP: one short connection per query (the fallback after a truncated UDP answer is rare).
package final class UpstreamSockets {
    package struct UDPSocket {
        package var fd: Int32
        package var upstream: Endpoint
        var uses = 0
        var opened: Int64
        /// Monotonic time after which a retired socket is closed.
        var closeAt: Int64?
    }

    /// How long a retired socket keeps taking late answers (longer than any timeout × attempts the
    /// policy allows in practice), and the least time a socket serves before it may be retired, which
    /// bounds the number of open sockets at high query rates.
    static let retiredGrace: Int64 = 10_000_000_000
    static let minimumSocketAge: Int64 = 250_000_000

    final class TCPConnection {
        let fd: Int32
        let upstream: Endpoint
        let id: UInt16
        var request: [UInt8]
        var written = 0
        var response: [UInt8] = []
        let started: Int64
        var connected = false

        init(fd: Int32, upstream: Endpoint, id: UInt16, request: [UInt8], started: Int64) {
            self.fd = fd
            self.upstream = upstream
            self.id = id
            self.request = request
            self.started = started
        }
    }

    private let poll: EventPoll
    private let poolSize: Int
    private let usesPerSocket: Int
    package private(set) var udp: [UInt64: UDPSocket] = [:]
    private var pools: [Endpoint: [UInt64]] = [:]
    private var rotation = 0
    private(set) var tcp: [UInt64: TCPConnection] = [:]
    private var nextID: UInt64 = 1

    package init(poll: EventPoll, poolSize: Int, usesPerSocket: Int) {
        self.poll = poll
        self.poolSize = max(poolSize, 1)
        self.usesPerSocket = max(usesPerSocket, 1)
    }

    deinit {
        for socket in udp.values { close(socket.fd) }
        for connection in tcp.values { close(connection.fd) }
    }

    // MARK: UDP

    /// Queries waiting to go out per upstream, sent in one `sendmmsg` on one of its sockets at the
    /// end of each loop turn (the socket rotates between turns).
    private var outgoing: [Endpoint: UDPBatch] = [:]

    /// Sends one query over UDP at once. Returns 0, or the errno when the send failed (ECONNREFUSED
    /// after an ICMP unreachable, EAGAIN when the socket buffer is full, or socket creation errors).
    /// For callers that send a query at a time (the HTTP proxy's resolver); the DNS workers queue.
    package func sendUDP(_ query: UpstreamQuery, now: Int64) -> Int32 {
        guard let fd = socket(for: query.upstream, uses: 1, now: now) else { return EIO }
        return Socket.send(fd, query.bytes) ? 0 : errno
    }

    /// Carries out a core's `.forward`: UDP queued for the turn's batch (`batched`) or sent at once,
    /// TCP connected. A query that cannot go is failed over by the core at once (a retry on another
    /// upstream, or SERVFAIL), which appends to `actions`.
    package func forward(
        _ query: UpstreamQuery, batched: Bool, core: inout DNSProxyCore, at time: ProxyTime,
        into actions: inout [ProxyAction]
    ) {
        let sent: Bool
        switch query.transport {
        case .udp: sent = batched ? queueUDP(query, now: time.monotonic) : sendUDP(query, now: time.monotonic) == 0
        case .tcp: sent = startTCP(query, now: time.monotonic)
        }
        if !sent { core.upstreamFailed(query.upstream, transport: query.transport, id: query.id, at: time, into: &actions) }
    }

    /// Queues a query for ``flushUDP(now:)``; false when it cannot even be queued (too big).
    package func queueUDP(_ query: UpstreamQuery, now: Int64) -> Bool {
        let batch: UDPBatch
        if let existing = outgoing[query.upstream] {
            batch = existing
        } else {
            batch = UDPBatch(capacity: 64, slotSize: 4096)
            outgoing[query.upstream] = batch
        }
        if batch.isFull { _ = flush(query.upstream, batch, now: now) }
        if batch.appendConnected(query.bytes) { return true }
        // Larger than a slot (rare: queries are small): straight out on its own.
        guard let fd = socket(for: query.upstream, uses: 1, now: now) else { return false }
        return Socket.send(fd, query.bytes)
    }

    /// Sends every queued query; returns the upstreams whose sockets reported an error (ECONNREFUSED
    /// after an ICMP unreachable, or a full buffer): the queries sent to them are failed over.
    package func flushUDP(now: Int64) -> [Endpoint] {
        var failed: [Endpoint] = []
        for (upstream, batch) in outgoing where batch.count > 0 {
            if !flush(upstream, batch, now: now) { failed.append(upstream) }
        }
        return failed
    }

    private func flush(_ upstream: Endpoint, _ batch: UDPBatch, now: Int64) -> Bool {
        let n = batch.count
        guard let fd = socket(for: upstream, uses: n, now: now) else {
            _ = batch.flush(-1)
            return false
        }
        return batch.flush(fd).dropped == 0
    }

    /// The socket for the next `uses` queries to `upstream`: pools are filled lazily, sockets rotate
    /// per batch, and a socket past its quota is retired (kept open for late answers) and replaced
    /// (the fresh one gets a fresh random port).
    private func socket(for upstream: Endpoint, uses: Int, now: Int64) -> Int32? {
        var pool = pools[upstream] ?? []
        while pool.count < poolSize, let fresh = try? openUDP(upstream, now: now) { pool.append(fresh) }
        guard !pool.isEmpty else { return nil }
        rotation &+= 1
        let slot = rotation % pool.count
        let id = pool[slot]
        guard var socket = udp[id] else { return nil }
        socket.uses += uses
        if socket.uses >= usesPerSocket && now - socket.opened >= Self.minimumSocketAge {
            socket.closeAt = now + Self.retiredGrace
            if let fresh = try? openUDP(upstream, now: now) { pool[slot] = fresh } else { pool.remove(at: slot) }
        }
        udp[id] = socket
        pools[upstream] = pool
        return socket.fd
    }

    private func openUDP(_ upstream: Endpoint, now: Int64) throws(SystemError) -> UInt64 {
        let fd = try Socket.connectedUDP(to: upstream)
        let id = nextID
        nextID += 1
        do throws(SystemError) {
            try poll.add(fd, tag: ProxyWorker.tag(.upstreamUDP, id))
        } catch {
            close(fd)
            throw error
        }
        udp[id] = UDPSocket(fd: fd, upstream: upstream, opened: now)
        return id
    }

    /// Closes retired sockets whose grace time is over.
    package func closeRetired(now: Int64) {
        for (id, socket) in udp {
            if let closeAt = socket.closeAt, closeAt <= now {
                poll.remove(socket.fd)
                close(socket.fd)
                udp[id] = nil
            }
        }
    }

    // MARK: TCP

    /// Starts a TCP exchange for one query; false when the connection could not even be started.
    package func startTCP(_ query: UpstreamQuery, now: Int64) -> Bool {
        guard let fd = try? Socket.startTCP(to: query.upstream) else { return false }
        let id = nextID
        nextID += 1
        var framed: [UInt8] = [
            UInt8(truncatingIfNeeded: query.bytes.count >> 8), UInt8(truncatingIfNeeded: query.bytes.count),
        ]
        framed.append(contentsOf: query.bytes)
        let connection = TCPConnection(fd: fd, upstream: query.upstream, id: query.id, request: framed, started: now)
        let tag = ProxyWorker.tag(.upstreamTCP, id)
        guard (try? poll.add(fd, tag: tag, events: EventPoll.readable | EventPoll.writable)) != nil else {
            close(fd)
            return false
        }
        tcp[id] = connection
        return true
    }

    /// What a TCP upstream event produced.
    package enum TCPOutcome {
        case waiting
        case answer(upstream: Endpoint, bytes: [UInt8])
        case failed(upstream: Endpoint, id: UInt16)
    }

    /// Progresses a TCP exchange on readiness: finish connecting, write the query, read the answer.
    package func handleTCP(_ id: UInt64, events: UInt32, scratch: UnsafeMutableRawBufferPointer) -> TCPOutcome {
        guard let c = tcp[id] else { return .waiting }
        let failed = TCPOutcome.failed(upstream: c.upstream, id: c.id)
        if events & (EventPoll.error | EventPoll.hangup) != 0 && events & EventPoll.readable == 0 {
            return finishTCP(id, failed)
        }
        if !c.connected && events & EventPoll.writable != 0 {
            guard Socket.pendingError(c.fd) == 0 else { return finishTCP(id, failed) }
            c.connected = true
        }
        if c.connected && c.written < c.request.count {
            guard let n = Socket.write(c.fd, c.request, from: c.written) else { return .waiting }
            guard n > 0 else { return finishTCP(id, failed) }
            c.written += n
            if c.written == c.request.count {
                poll.modify(c.fd, tag: ProxyWorker.tag(.upstreamTCP, id), events: EventPoll.readable)
            }
        }
        if events & EventPoll.readable != 0 {
            while true {
                guard let n = Socket.read(c.fd, into: &c.response, scratch: scratch) else { break }
                if n <= 0 { return finishTCP(id, failed) }
                if c.response.count >= 2 {
                    let length = Int(c.response[0]) << 8 | Int(c.response[1])
                    if c.response.count >= 2 + length {
                        return finishTCP(id, .answer(upstream: c.upstream, bytes: Array(c.response[2..<(2 + length)])))
                    }
                }
            }
        }
        return .waiting
    }

    private func finishTCP(_ id: UInt64, _ outcome: TCPOutcome) -> TCPOutcome {
        if let c = tcp.removeValue(forKey: id) {
            poll.remove(c.fd)
            close(c.fd)
        }
        return outcome
    }

    /// Gives up on TCP exchanges older than `maxAge` (the core has timed their queries out already).
    package func abandonStaleTCP(now: Int64, maxAge: Int64) {
        for (id, c) in tcp where now - c.started > maxAge { _ = finishTCP(id, .waiting) }
    }
}
