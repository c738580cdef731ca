import AirlockDNSWire
import AirlockEngine
import AirlockEvents

/// Joins queries and responses into `dns.log` records the way Zeek's DNS scripts do: per connection
/// (transport, client, server) and transaction ID, first query first; a query with no response is
/// logged when it ages out (``timeoutSeconds`` of capture time, Zeek's UDP inactivity timeout) or
/// at ``finish(into:)``, a response with no query at once.
///
/// A value type fed in capture order, no I/O: replay and live capture use it alike.
///
/// State: ``pending`` holds open transactions by key, each a FIFO (retransmissions under one ID);
/// ``uids`` the connection identifiers. Both are bounded: past ``capacity`` open transactions the
/// oldest are logged unanswered.
public struct DNSLogJoiner: Sendable {
    struct Key: Hashable, Sendable {
        var proto: Transport
        var client: Endpoint
        var server: Endpoint
        var id: UInt16
    }

    /// Open transactions: the query's half-built record, oldest first per key.
    private var pending: [Key: [ZeekDNSRecord]] = [:]
    private var pendingCount = 0
    private var uids = ConnectionUIDs()
    /// Capture time of the last sweep for aged-out queries.
    private var lastSweep: Timestamp?
    public let timeoutSeconds: Double
    public let capacity: Int

    public init(timeoutSeconds: Double = 60, capacity: Int = 200_000) {
        self.timeoutSeconds = timeoutSeconds
        self.capacity = max(capacity, 16)
    }

    /// A query: opens a transaction. Records that aged out meanwhile are appended to `out`.
    public mutating func query(
        _ message: DNSMessage, _ origin: Origin, airlock: AirlockDNSFields?, into out: inout [ZeekDNSRecord]
    ) {
        guard message.flags.opcode == 0 else { return }  // Zeek tracks standard queries only
        sweep(now: origin.time, into: &out)
        let key = Key(proto: origin.transport, client: origin.source, server: origin.destination, id: message.id)
        var record = ZeekDNSRecord(
            ts: origin.time, uid: uids.uid(origin.transport, origin.source, origin.destination, at: origin.time),
            orig: origin.source, resp: origin.destination, proto: origin.transport, transID: message.id)
        if let q = message.question {
            record.query = ZeekText.name(q.name.wire)
            record.qclass = q.qclass
            record.qtype = q.type
        }
        record.rd = message.flags.rd
        record.z = (message.flags.rawValue >> 4) & 0x7
        record.airlock = airlock
        if pendingCount >= capacity { evictOldest(into: &out) }
        pending[key, default: []].append(record)
        pendingCount += 1
    }

    /// A response: completes the oldest open transaction with its key and appends it to `out`, or
    /// logs the response alone. `verdict`, when the response tipped its domain over, is recorded.
    public mutating func response(
        _ message: DNSMessage, _ origin: Origin, answers: [ZeekAnswer], verdict: Verdict? = nil,
        into out: inout [ZeekDNSRecord]
    ) {
        guard message.flags.opcode == 0 else { return }
        sweep(now: origin.time, into: &out)
        let key = Key(proto: origin.transport, client: origin.destination, server: origin.source, id: message.id)
        var record: ZeekDNSRecord
        if var queue = pending[key], !queue.isEmpty {
            record = queue.removeFirst()
            pending[key] = queue.isEmpty ? nil : queue
            pendingCount -= 1
            let rtt = origin.time.seconds(since: record.ts)
            record.rtt = rtt > 0 ? rtt : nil
        } else {
            record = ZeekDNSRecord(
                ts: origin.time,
                uid: uids.uid(origin.transport, origin.destination, origin.source, at: origin.time),
                orig: origin.destination, resp: origin.source, proto: origin.transport, transID: message.id)
            if let q = message.question {
                record.query = ZeekText.name(q.name.wire)
                record.qclass = q.qclass
                record.qtype = q.type
            }
        }
        record.rcode = message.rcode
        record.aa = message.flags.aa
        record.ra = message.flags.ra
        record.tc = message.flags.tc
        record.answers = answers
        let records = message.answerCount + message.authorityCount + message.additionalCount
        record.rejected = (message.questionCount > 0 && records == 0) || (message.rcode != 0 && message.questionCount == 0)
        if let verdict { record.airlock?.apply(verdict) }
        out.append(record)
    }

    /// Logs every open transaction (end of capture), oldest first.
    public mutating func finish(into out: inout [ZeekDNSRecord]) {
        var all = pending.values.flatMap { $0 }
        all.sort { ($0.ts, $0.uid, $0.transID) < ($1.ts, $1.uid, $1.transID) }
        out += all
        pending = [:]
        pendingCount = 0
    }

    /// Logs queries older than the timeout; runs at most once per second of capture time.
    private mutating func sweep(now: Timestamp, into out: inout [ZeekDNSRecord]) {
        if let last = lastSweep, now.seconds(since: last) < 1 { return }
        lastSweep = now
        guard pendingCount > 0 else { return }
        var expired: [ZeekDNSRecord] = []
        for (key, queue) in pending {
            let keep = queue.filter { now.seconds(since: $0.ts) <= timeoutSeconds }
            guard keep.count != queue.count else { continue }
            expired += queue.filter { now.seconds(since: $0.ts) > timeoutSeconds }
            pending[key] = keep.isEmpty ? nil : keep
        }
        pendingCount -= expired.count
        expired.sort { ($0.ts, $0.uid, $0.transID) < ($1.ts, $1.uid, $1.transID) }
        out += expired
    }

    /// Over capacity (a flood of unanswered queries): log the oldest half unanswered.
    private mutating func evictOldest(into out: inout [ZeekDNSRecord]) {
        var all = pending.flatMap { key, queue in queue.map { (key, $0) } }
        all.sort { $0.1.ts < $1.1.ts }
        let cut = all.count / 2
        pending = [:]
        for (key, record) in all[cut...] { pending[key, default: []].append(record) }
        out += all[..<cut].map(\.1)
        pendingCount = all.count - cut
    }

    /// Where a message travelled (the pipeline's `MessageOrigin` fields, kept here so the log needs
    /// no pipeline).
    public struct Origin: Sendable {
        public var time: Timestamp
        public var source: Endpoint
        public var destination: Endpoint
        public var transport: Transport

        public init(time: Timestamp, source: Endpoint, destination: Endpoint, transport: Transport) {
            self.time = time
            self.source = source
            self.destination = destination
            self.transport = transport
        }
    }
}
