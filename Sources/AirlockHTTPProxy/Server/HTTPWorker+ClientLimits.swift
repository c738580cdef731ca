import AirlockEnforcement
import AirlockEngine
import AirlockEvents

/// What a client lost to the connection limits and has not been logged yet.
struct ClientLimitNote {
    /// When this note's counting started (monotonic ns).
    var since: Int64
    /// The client's latest connection that was refused or closed (its port changes each time).
    var peer: Endpoint
    var refused = 0
    var closed = 0
}

/// Logging the per-client connection limits (``ClientShares``): one `http.client_connections`
/// record per client per ``HTTPWorker/limitLogSeconds`` with the refusals and closes it sums
/// (kind `budget-exhausted`, so the alert sinks raise it per client), while every refusal and close
/// is counted in the worker's stats at once.
extension HTTPWorker {
    /// Counts a refusal or close for `peer`'s client; the first for a client is logged at once, the
    /// rest summed into one record per interval.
    func noteLimit(_ peer: Endpoint, refused: Int = 0, closed: Int = 0, now: ProxyTime) {
        guard var note = limitNotes[peer.address] else {
            logLimit(ClientLimitNote(since: now.monotonic, peer: peer, refused: refused, closed: closed), now: now)
            limitNotes[peer.address] = ClientLimitNote(since: now.monotonic, peer: peer)
            return
        }
        note.peer = peer
        note.refused += refused
        note.closed += closed
        if now.monotonic - note.since >= Self.limitLogSeconds * 1_000_000_000 {
            logLimit(note, now: now)
            note = ClientLimitNote(since: now.monotonic, peer: peer)
        }
        limitNotes[peer.address] = note
    }

    /// Logs what waited longer than the interval (everything with `all`), and forgets clients that
    /// lost nothing for a minute.
    func flushLimitNotes(now: ProxyTime, all: Bool) {
        guard !limitNotes.isEmpty else { return }
        for (address, note) in limitNotes {
            let age = now.monotonic - note.since
            if note.refused + note.closed > 0 && (all || age >= Self.limitLogSeconds * 1_000_000_000) {
                logLimit(note, now: now)
                limitNotes[address] = ClientLimitNote(since: now.monotonic, peer: note.peer)
            } else if note.refused + note.closed == 0 && age >= 60_000_000_000 {
                limitNotes[address] = nil
            }
        }
    }

    private func logLimit(_ note: ClientLimitNote, now: ProxyTime) {
        let snapshot = context.policy
        let sandbox = snapshot.policy.sandbox(for: note.peer.address)
        let limits = shares.limits
        let held = shares.count(of: note.peer.address)
        let record = HTTPDecisionRecord(
            time: now.wall, stage: .connection, action: .block, sandbox: sandbox.name, identity: "address",
            client: note.peer, rule: "http.client_connections",
            reason: "client \(note.peer.address) holds \(held) of this worker's connections (\(limits.perClient) per "
                + "client, \(limits.idlePerClient) waiting for a request head, \(limits.total) in all): "
                + "\(note.refused) new connections refused and \(note.closed) idle ones closed",
            kind: .budgetExhausted,
            evidence: [
                Evidence(
                    feature: "client_connections", value: Double(held), threshold: Double(limits.perClient),
                    contribution: 0),
                Evidence(feature: "refused_connections", value: Double(note.refused), threshold: 0, contribution: 0),
                Evidence(feature: "closed_idle_connections", value: Double(note.closed), threshold: 0, contribution: 0),
            ], mode: sandbox.mode, policyVersion: snapshot.version)
        if configuration.logLevel.wants(record) { records.append(record) }
    }
}
