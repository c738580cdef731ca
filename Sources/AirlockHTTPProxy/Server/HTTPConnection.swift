import AirlockEvents

/// One proxied client connection on a worker: its descriptors, buffers, protocol machine and
/// relay state.
final class HTTPConnection {
    let id: UInt64
    let clientFD: Int32
    let peer: Endpoint
    var machine: ConnectionMachine
    /// Which sides are open, ended or shut, and when an end is passed on (no sockets in it).
    var relay = RelayState()
    /// The upstream descriptor, -1 when there is none.
    var upstreamFD: Int32 = -1
    var clientIn: [UInt8] = []
    var upstreamIn: [UInt8] = []
    var toClient = OutBuffer()
    var toUpstream = OutBuffer()
    /// Tunnel mode: client → upstream and upstream → client.
    var up: RelayBuffer?
    var down: RelayBuffer?
    /// The poller interest registered for each descriptor (changed only when it differs).
    var clientEvents: UInt32 = 0
    var upstreamEvents: UInt32 = 0

    init(id: UInt64, clientFD: Int32, peer: Endpoint, machine: ConnectionMachine) {
        self.id = id
        self.clientFD = clientFD
        self.peer = peer
        self.machine = machine
    }

    var isRelaying: Bool { relay.relaying }
}
