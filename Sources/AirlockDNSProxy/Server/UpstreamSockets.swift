import AirlockEvents

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
        /// Monotonic time after which a retired socket is closed.
        var closeAt: Int64?
    }

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

    /// Sends a query over UDP. Returns 0, or the errno when the send failed (ECONNREFUSED after an
    /// ICMP unreachable, EAGAIN when the socket buffer is full, or socket creation errors).
    package func sendUDP(_ query: UpstreamQuery, now: Int64) -> Int32 {
        var pool = pools[query.upstream] ?? []
        do throws(ProxyError) {
            while pool.count < poolSize { pool.append(try openUDP(query.upstream)) }
        } catch {
            pools[query.upstream] = pool
            if case .system(_, let code) = error { return code }
            return EIO
        }
        rotation &+= 1
        let slot = rotation % pool.count
        let id = pool[slot]
        guard var socket = udp[id] else { return EIO }
        let ok = Socket.send(socket.fd, query.bytes)
        let code = errno
        socket.uses += 1
        if socket.uses >= usesPerSocket {
            // Retire: keep it for late answers, put a fresh socket (fresh random port) in its place.
            socket.closeAt = now + 30_000_000_000
            if let fresh = try? openUDP(query.upstream) { pool[slot] = fresh } else { pool.remove(at: slot) }
        }
        udp[id] = socket
        pools[query.upstream] = pool
        return ok ? 0 : code
    }

    private func openUDP(_ upstream: Endpoint) throws(ProxyError) -> UInt64 {
        let fd = try Socket.connectedUDP(to: upstream)
        let id = nextID
        nextID += 1
        do throws(ProxyError) {
            try poll.add(fd, tag: ProxyWorker.tag(.upstreamUDP, id))
        } catch {
            close(fd)
            throw error
        }
        udp[id] = UDPSocket(fd: fd, upstream: upstream)
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
