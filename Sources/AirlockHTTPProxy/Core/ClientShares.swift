import AirlockEvents

/// Who holds one worker's client connections, and whether the next one may come in: so one client
/// cannot take the proxy from the others (issue #11: one sandbox holding 10,000 idle connections
/// made every other sandbox's requests fail).
///
/// Three limits, all per worker (a client's connections spread over the workers with the
/// SO_REUSEPORT hash, so a client gets about `threads` times these):
/// - **idle per client** (pending heads): connections waiting for a request head, before the first
///   or between keep-alive requests, cost the proxy a descriptor and a buffer while they say
///   nothing. A client at this many has its oldest idle connection closed for each new one.
/// - **connections per client**: at this many, a new connection from the client closes the client's
///   oldest idle one, or is refused when all of them are busy.
/// - **the worker's total**: when full, the client holding the most connections, if it holds more
///   than the newcomer would, loses its oldest idle connection to make room; else the newcomer is
///   refused. So the last free slots go to clients under their share, never to the hog.
///
/// Pure (no sockets): the worker asks ``admit(_:from:isIdle:)`` at accept, closes what it names,
/// and calls ``remove(_:from:)`` when any connection ends. State: the connection ids of each client
/// in accept order (oldest first) and their total.
struct ClientShares {
    struct Limits: Equatable {
        var total: Int
        var perClient: Int
        var idlePerClient: Int
    }

    enum Admission: Equatable {
        /// Take the connection after closing these (already removed from the shares).
        case admit(closing: [UInt64])
        /// Refuse it: its client is at its share with every connection busy, or the worker is full
        /// and no client holds more than this one would.
        case refuse
    }

    let limits: Limits
    /// Each client's connection ids, oldest first.
    private var clients: [IPAddress: [UInt64]] = [:]
    /// Connections held, all clients.
    private(set) var total = 0

    init(limits: Limits) {
        self.limits = Limits(
            total: max(limits.total, 1), perClient: max(limits.perClient, 1), idlePerClient: max(limits.idlePerClient, 1))
    }

    /// Connections `client` holds.
    func count(of client: IPAddress) -> Int { clients[client]?.count ?? 0 }

    /// Decides on connection `id` from `client`; `isIdle` says whether a held connection is waiting
    /// for a request head (only those are ever closed to make room).
    mutating func admit(_ id: UInt64, from client: IPAddress, isIdle: (UInt64) -> Bool) -> Admission {
        var closing: [UInt64] = []
        let own = clients[client] ?? []
        let oldestIdle = own.first(where: isIdle)
        if let oldestIdle, own.lazy.filter(isIdle).count >= limits.idlePerClient {
            closing.append(oldestIdle)
        } else if own.count >= limits.perClient {
            guard let oldestIdle else { return .refuse }
            closing.append(oldestIdle)
        }
        if total - closing.count >= limits.total {
            let mine = own.count - closing.count + 1
            guard let (hog, held) = clients.max(by: { $0.value.count < $1.value.count }), hog != client, held.count > mine,
                let victim = held.first(where: isIdle)
            else { return .refuse }
            closing.append(victim)
            remove(victim, from: hog)
        }
        for victim in closing where own.contains(victim) { remove(victim, from: client) }
        clients[client, default: []].append(id)
        total += 1
        return .admit(closing: closing)
    }

    /// Connection `id` of `client` ended (a no-op for one already removed).
    mutating func remove(_ id: UInt64, from client: IPAddress) {
        guard var list = clients[client], let index = list.firstIndex(of: id) else { return }
        list.remove(at: index)
        total -= 1
        clients[client] = list.isEmpty ? nil : list
    }
}
