import AirlockEvents

#if canImport(Glibc)
    import Glibc
#endif

/// One proxied client connection on a worker: its descriptors, buffers and machine.
final class HTTPConnection {
    let id: UInt64
    let clientFD: Int32
    let peer: Endpoint
    var machine: ConnectionMachine
    var upstreamFD: Int32 = -1
    /// The upstream descriptor is registered with epoll.
    var upstreamWatched = false
    var upstreamConnecting = false
    var clientIn: [UInt8] = []
    var upstreamIn: [UInt8] = []
    var toClient = OutBuffer()
    var toUpstream = OutBuffer()
    /// Tunnel mode: client → upstream and upstream → client.
    var up: RelayBuffer?
    var down: RelayBuffer?
    var clientEOF = false
    var upstreamEOF = false
    var upstreamShut = false
    var clientShut = false
    /// Close once everything queued for the client is written.
    var closing = false
    var resolving = false
    var clientEvents: UInt32 = 0
    var upstreamEvents: UInt32 = 0

    init(id: UInt64, clientFD: Int32, peer: Endpoint, machine: ConnectionMachine) {
        self.id = id
        self.clientFD = clientFD
        self.peer = peer
        self.machine = machine
    }

    var isRelaying: Bool { up != nil }
}
