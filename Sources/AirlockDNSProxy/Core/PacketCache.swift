import AirlockDNSWire
import AirlockEvents

/// A TTL-respecting cache of upstream answers, one per worker thread (no lock on the packet path).
///
/// Keyed by what changes an answer: the name (case-folded), type, class, the RD/CD/AD/DO bits, whether
/// the query had EDNS, and the upstream group (sandboxes with their own resolvers never share
/// answers). A hit is the stored answer with the client's ID and question bytes (its 0x20 case) put
/// back and every TTL aged by the time spent in the cache. Caching changes nothing about inspection:
/// the core runs every query, hit or miss, through the engine and policy before looking here.
struct PacketCache {
    struct Key: Hashable {
        var name: [UInt8]
        var type: UInt16
        var qclass: UInt16
        /// RD, CD, DO, EDNS-present and AD bits (the bits a forwarded query carries).
        var flags: UInt8
        var upstreamGroup: Int

        init(question: DNSQuestion, message: DNSMessage, upstreamGroup: Int) {
            name = question.name.wire
            type = question.type
            qclass = question.qclass
            var bits: UInt8 = 0
            if message.flags.rd { bits |= 1 }
            if message.flags.cd { bits |= 2 }
            if message.flags.ad { bits |= 16 }
            if let edns = message.edns {
                bits |= 4
                if edns.dnssecOK { bits |= 8 }
            }
            flags = bits
            self.upstreamGroup = upstreamGroup
        }

        /// The name's bytes in one go: the synthesized conformance would feed them one at a time.
        func hash(into hasher: inout Hasher) {
            name.withUnsafeBytes { hasher.combine(bytes: $0) }
            hasher.combine(UInt64(type) << 32 | UInt64(qclass) << 16 | UInt64(flags))
            hasher.combine(upstreamGroup)
        }
    }

    /// A class: a hit hands out a reference instead of copying the answer and its parsed form.
    final class Entry {
        /// The answer as the upstream sent it.
        let bytes: [UInt8]
        let message: DNSMessage
        /// Byte offsets of every TTL field (OPT excluded) and the TTL each had.
        let ttlFields: [(offset: Int, ttl: UInt32)]
        let storedAt: Int64
        let expiresAt: Int64

        init(
            bytes: [UInt8], message: DNSMessage, ttlFields: [(offset: Int, ttl: UInt32)], storedAt: Int64,
            expiresAt: Int64
        ) {
            self.bytes = bytes
            self.message = message
            self.ttlFields = ttlFields
            self.storedAt = storedAt
            self.expiresAt = expiresAt
        }
    }

    let capacity: Int
    let maxTTL: UInt32
    let maxNegativeTTL: UInt32
    private var current: [Key: Entry] = [:]
    private var previous: [Key: Entry] = [:]

    init(capacity: Int, maxTTL: UInt32, maxNegativeTTL: UInt32) {
        self.capacity = max(capacity, 0)
        self.maxTTL = maxTTL
        self.maxNegativeTTL = maxNegativeTTL
    }

    var isEnabled: Bool { capacity > 0 }

    /// A live entry for `key`, or nil (an expired one is dropped).
    mutating func lookup(_ key: Key, now: Int64) -> Entry? {
        guard isEnabled else { return nil }
        var entry = current[key]
        if entry == nil, let old = previous.removeValue(forKey: key) {
            entry = old
            store(key, old)
        }
        guard let entry else { return nil }
        guard now < entry.expiresAt else {
            current[key] = nil
            return nil
        }
        return entry
    }

    /// Stores an upstream answer when it may be cached: NOERROR or NXDOMAIN, not truncated, with at
    /// least one record to take a TTL from (OPT aside). The TTL is the smallest in the message.
    mutating func insert(_ key: Key, bytes: [UInt8], message: DNSMessage, now: Int64) {
        guard isEnabled, !message.flags.tc else { return }
        let rcode = message.rcode
        guard rcode == DNSResponseCode.noError || rcode == DNSResponseCode.nxDomain else { return }
        guard case .success(let records) = DNSWireReader.records(bytes.span) else { return }
        var fields: [(offset: Int, ttl: UInt32)] = []
        var minTTL = UInt32.max
        for record in records where record.summary.type != DNSRecordType.opt {
            fields.append((record.rdataRange.lowerBound - 6, record.summary.ttl))
            minTTL = min(minTTL, record.summary.ttl)
        }
        guard !fields.isEmpty else { return }
        let negative = rcode == DNSResponseCode.nxDomain || message.answerCount == 0
        let ttl = min(minTTL, negative ? maxNegativeTTL : maxTTL)
        guard ttl > 0 else { return }
        store(
            key,
            Entry(
                bytes: bytes, message: message, ttlFields: fields, storedAt: now,
                expiresAt: now + Int64(ttl) * 1_000_000_000))
    }

    private mutating func store(_ key: Key, _ entry: Entry) {
        if current[key] == nil && current.count >= max(capacity / 2, 1) {
            previous = current
            current = [:]
        }
        current[key] = entry
    }

    /// The cached answer for a client: its ID, its question bytes (same length, so compression
    /// pointers stay valid), and TTLs aged by the seconds spent in the cache.
    static func answer(
        _ entry: Entry, id: UInt16, query: Span<UInt8>, queryQuestion: Range<Int>?, now: Int64
    ) -> (bytes: [UInt8], minTTL: UInt32?) {
        var out = entry.bytes
        MessageEditing.setID(id, in: &out)
        if let source = queryQuestion, let target = entry.message.questionRange, source.count == target.count {
            for i in 0..<source.count { out[target.lowerBound + i] = query[source.lowerBound + i] }
        }
        let age = UInt32(clamping: max(0, (now - entry.storedAt) / 1_000_000_000))
        var minAnswerTTL: UInt32?
        for field in entry.ttlFields {
            let ttl = field.ttl > age ? field.ttl - age : 0
            out[field.offset] = UInt8(truncatingIfNeeded: ttl >> 24)
            out[field.offset + 1] = UInt8(truncatingIfNeeded: ttl >> 16)
            out[field.offset + 2] = UInt8(truncatingIfNeeded: ttl >> 8)
            out[field.offset + 3] = UInt8(truncatingIfNeeded: ttl)
        }
        if let stored = entry.message.minAnswerTTL { minAnswerTTL = stored > age ? stored - age : 0 }
        return (out, minAnswerTTL)
    }
}
