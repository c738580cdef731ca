import AirlockEvents
import AirlockSystem

#if canImport(Glibc)
    import Glibc
#endif

/// One worker's DNS-over-TCP client connections (RFC 7766): 2-byte length framing, pipelined
/// queries, answers in whatever order they come, bounded buffers, idle connections closed.
final class TCPClients {
    final class Connection {
        let fd: Int32
        let peer: Endpoint
        let local: Endpoint
        var input: [UInt8] = []
        var output: [UInt8] = []
        var outputOffset = 0
        var lastActive: Int64
        var watchingWrites = false

        init(fd: Int32, peer: Endpoint, local: Endpoint, now: Int64) {
            self.fd = fd
            self.peer = peer
            self.local = local
            self.lastActive = now
        }
    }

    /// Unsent answer bytes past which a client that does not read is dropped.
    static let maxOutput = 1 << 20

    private let poll: EventPoll
    private let limit: Int
    private(set) var connections: [UInt64: Connection] = [:]
    private var nextID: UInt64 = 1

    init(poll: EventPoll, limit: Int) {
        self.poll = poll
        self.limit = limit
    }

    deinit {
        for c in connections.values { Glibc.close(c.fd) }
    }

    /// Accepts every waiting connection on `listener`; past the limit, new ones are closed at once.
    func accept(_ listener: Int32, local: Endpoint, now: Int64) {
        while let (fd, peer) = Socket.accept(listener) {
            guard connections.count < limit else {
                Glibc.close(fd)
                continue
            }
            let id = nextID
            nextID += 1
            guard (try? poll.add(fd, tag: ProxyWorker.tag(.tcpClient, id))) != nil else {
                Glibc.close(fd)
                continue
            }
            connections[id] = Connection(fd: fd, peer: peer, local: local, now: now)
        }
    }

    /// Reads what a connection sent and returns the complete queries in it; closes it at end of
    /// stream, on error, or on a zero-length frame.
    func read(_ id: UInt64, events: UInt32, now: Int64, scratch: UnsafeMutableRawBufferPointer) -> [(
        ClientHandle, [UInt8]
    )] {
        guard let c = connections[id] else { return [] }
        if events & EventPoll.writable != 0 { flush(id, c) }
        guard events & (EventPoll.readable | EventPoll.hangup | EventPoll.error) != 0 else { return [] }
        var closed = false
        for _ in 0..<16 {
            guard let n = Socket.read(c.fd, into: &c.input, scratch: scratch) else { break }
            if n <= 0 {
                closed = true
                break
            }
        }
        c.lastActive = now
        var queries: [(ClientHandle, [UInt8])] = []
        var offset = 0
        while c.input.count - offset >= 2 {
            let length = Int(c.input[offset]) << 8 | Int(c.input[offset + 1])
            if length == 0 {
                closed = true
                break
            }
            guard c.input.count - offset >= 2 + length else { break }
            queries.append(
                (
                    ClientHandle(transport: .tcp, peer: c.peer, local: c.local, channel: id),
                    Array(c.input[(offset + 2)..<(offset + 2 + length)])
                ))
            offset += 2 + length
        }
        if offset > 0 { c.input.removeFirst(offset) }
        if closed { close(id) }
        return queries
    }

    /// Queues a framed answer and writes what the socket takes now.
    func respond(_ id: UInt64, _ bytes: [UInt8]) {
        guard let c = connections[id] else { return }
        c.output.append(UInt8(truncatingIfNeeded: bytes.count >> 8))
        c.output.append(UInt8(truncatingIfNeeded: bytes.count))
        c.output.append(contentsOf: bytes)
        flush(id, c)
    }

    private func flush(_ id: UInt64, _ c: Connection) {
        while c.outputOffset < c.output.count {
            guard let n = Socket.write(c.fd, c.output, from: c.outputOffset) else { break }
            if n <= 0 {
                close(id)
                return
            }
            c.outputOffset += n
        }
        if c.outputOffset == c.output.count {
            c.output.removeAll(keepingCapacity: true)
            c.outputOffset = 0
            if c.watchingWrites {
                c.watchingWrites = false
                poll.modify(c.fd, tag: ProxyWorker.tag(.tcpClient, id), events: EventPoll.readable)
            }
        } else if c.output.count - c.outputOffset > Self.maxOutput {
            close(id)
        } else if !c.watchingWrites {
            c.watchingWrites = true
            poll.modify(c.fd, tag: ProxyWorker.tag(.tcpClient, id), events: EventPoll.readable | EventPoll.writable)
        }
    }

    func close(_ id: UInt64) {
        guard let c = connections.removeValue(forKey: id) else { return }
        poll.remove(c.fd)
        Glibc.close(c.fd)
    }

    /// Closes connections idle for longer than `idle` nanoseconds.
    func closeIdle(now: Int64, idle: Int64) {
        for (id, c) in connections where now - c.lastActive > idle { close(id) }
    }
}
