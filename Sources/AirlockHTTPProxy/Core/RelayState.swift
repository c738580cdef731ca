/// One proxied connection's sockets as a state value, without sockets: whether the upstream is
/// connecting, open or gone, which directions have ended, and when an end is passed on to the other
/// side (a half-close) or the connection is finished.
///
/// The worker tells it what happened on the descriptors (a read reached end of stream, everything
/// queued toward a side was written, a side hung up) and does what it returns, as ``ConnectionMachine``
/// does for the protocol (swift-nio's state-machine style). `Tests/AirlockHTTPProxyTests` drives it
/// with no sockets at all.
///
/// In a tunnel the ends travel separately: the client's end of stream becomes a `shutdown(SHUT_WR)`
/// toward the upstream once everything the client sent is written there, and the upstream's end
/// becomes one toward the client likewise. When both directions are shut the tunnel is finished.
struct RelayState: Equatable, Sendable {
    /// The upstream connection.
    enum Upstream: Equatable, Sendable {
        /// None: not connected yet, or closed (plain HTTP between exchanges, a failed connect).
        case none
        /// A non-blocking connect is in progress (the worker waits for writability).
        case connecting
        /// Connected. `readEnded`: the upstream sent its last byte; `writeShut`: the client's end was
        /// passed on (`shutdown(SHUT_WR)`).
        case open(readEnded: Bool, writeShut: Bool)
        /// Gone both ways (reset, or closed after our shutdown) while relaying: no longer watched; what
        /// it sent is still delivered to the client.
        case gone
    }

    /// What the worker must do.
    enum Action: Equatable, Sendable {
        /// `shutdown(client, SHUT_WR)`: pass the upstream's end on.
        case shutClientWrite
        /// `shutdown(upstream, SHUT_WR)`: pass the client's end on.
        case shutUpstreamWrite
        /// Stop watching the upstream descriptor and drop what was still queued for it.
        case abandonUpstream
        /// Close the connection; a reason ends a tunnel's log with its byte counts.
        case finish(reason: String?)
    }

    private(set) var upstream = Upstream.none
    /// The client sent its last byte (end of stream or a read error).
    private(set) var clientReadEnded = false
    /// The upstream's end was passed on to the client.
    private(set) var clientWriteShut = false
    /// Close once everything queued for the client is written (an error answer, a refusal, the end
    /// of a non-persistent exchange).
    private(set) var closing = false
    /// Tunnel mode: bytes are copied both ways untouched and ends travel as half-closes.
    private(set) var relaying = false

    /// The upstream is registered with the poller (connecting or open).
    var upstreamWatched: Bool {
        switch upstream {
        case .connecting, .open: return true
        case .none, .gone: return false
        }
    }

    var upstreamConnecting: Bool { upstream == .connecting }

    /// The upstream sent its last byte (or is gone).
    var upstreamReadEnded: Bool {
        switch upstream {
        case .open(let readEnded, _): return readEnded
        case .gone: return true
        case .none, .connecting: return false
        }
    }

    private var upstreamWriteShut: Bool {
        switch upstream {
        case .open(_, let writeShut): return writeShut
        case .gone: return true
        case .none, .connecting: return false
        }
    }

    // MARK: Events

    mutating func connectStarted() { upstream = .connecting }
    mutating func connected() { upstream = .open(readEnded: false, writeShut: false) }
    /// The worker closed the upstream descriptor.
    mutating func upstreamClosed() { upstream = .none }
    mutating func clientEnded() { clientReadEnded = true }

    mutating func upstreamEnded() {
        if case .open(_, let writeShut) = upstream { upstream = .open(readEnded: true, writeShut: writeShut) }
    }

    mutating func startRelay() { relaying = true }
    mutating func close() { closing = true }

    /// Everything queued toward the client that could be written was; `drained` says nothing is left.
    mutating func clientFlushed(drained: Bool) -> [Action] {
        if drained && closing { return [.finish(reason: nil)] }
        var actions: [Action] = []
        if drained && relaying && upstreamReadEnded && !clientWriteShut {
            clientWriteShut = true
            actions.append(.shutClientWrite)
        }
        return actions + finishedTunnel()
    }

    /// Everything queued toward the upstream that could be written was; `drained` says nothing is left.
    mutating func upstreamFlushed(drained: Bool) -> [Action] {
        var actions: [Action] = []
        if drained && relaying && clientReadEnded, case .open(let readEnded, false) = upstream {
            upstream = .open(readEnded: readEnded, writeShut: true)
            actions.append(.shutUpstreamWrite)
        }
        return actions + finishedTunnel()
    }

    /// The poller reported an error or hang-up on the upstream. In a tunnel whose upstream already
    /// ended, it is gone both ways: stop watching it (the worker then flushes toward the client).
    mutating func upstreamHungUp() -> [Action] {
        guard relaying, case .open(true, _) = upstream else { return [] }
        upstream = .gone
        return [.abandonUpstream]
    }

    /// The poller reported an error or hang-up on the client. Once the client's reading side ended
    /// too, nothing more can reach it and a registered dead socket would wake every turn.
    func clientHungUp() -> [Action] {
        guard clientReadEnded else { return [] }
        return [.finish(reason: relaying ? "tunnel closed" : "client gone")]
    }

    /// Both directions of a tunnel are shut: it is over.
    private func finishedTunnel() -> [Action] {
        relaying && clientWriteShut && upstreamWriteShut ? [.finish(reason: "tunnel closed")] : []
    }
}
