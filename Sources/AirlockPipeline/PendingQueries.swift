import AirlockEvents

/// Queries waiting for their response, to pair them safely: same client, server, ID and question.
///
/// Bounded like the engine's domain table (two generations), because a client can send queries that
/// never get answers; an unanswered query simply ages out.
struct PendingQueries {
    struct Key: Hashable {
        var client: Endpoint
        var server: Endpoint
        var id: UInt16

        /// One combine of the fields folded together (every query and response hashes a key).
        func hash(into hasher: inout Hasher) { hasher.combine(folded) }

        private var folded: UInt64 {
            client.address.folded &* 0xBF58_476D_1CE4_E5B9 ^ server.address.folded
                ^ UInt64(client.port) << 48 ^ UInt64(server.port) << 32 ^ UInt64(id) << 16
        }

        /// The folded fields mixed with the table's seed by MurmurHash3's finaliser instead of a
        /// SipHash round (Hashable's customisation point for it).
        func _rawHashValue(seed: Int) -> Int {
            var h = folded ^ (UInt64(bitPattern: Int64(seed)) &* 0x9E37_79B9_7F4A_7C15)
            h ^= h >> 33
            h &*= 0xFF51_AFD7_ED55_8CCD
            h ^= h >> 33
            h &*= 0xC4CE_B9FE_1A85_EC53
            h ^= h >> 33
            return Int(truncatingIfNeeded: h)
        }
    }

    struct Entry {
        var time: Timestamp
        var name: DNSName
        var qtype: UInt16
        var domain: DomainKey
        var sandbox: SandboxID?
    }

    private var current: [Key: Entry] = [:]
    private var previous: [Key: Entry] = [:]
    let capacity: Int
    /// How long a query waits for its answer before a late answer is treated as unsolicited.
    let timeoutSeconds: Double

    init(capacity: Int = 65_536, timeoutSeconds: Double = 30) {
        self.capacity = max(capacity, 16)
        self.timeoutSeconds = timeoutSeconds
    }

    var count: Int { current.count + previous.count }

    mutating func insert(_ key: Key, _ entry: Entry) {
        if current.count >= capacity / 2 {
            previous = current
            current = [:]
        }
        current[key] = entry
    }

    /// Removes and returns the query this response answers; nil when none matches (unsolicited,
    /// spoofed, late, or a different question under the same ID).
    mutating func take(_ key: Key, name: DNSName?, qtype: UInt16?, at time: Timestamp) -> Entry? {
        let entry = current.removeValue(forKey: key) ?? previous.removeValue(forKey: key)
        guard let entry else { return nil }
        if let name, entry.name != name { return nil }
        if let qtype, entry.qtype != qtype { return nil }
        if time.seconds(since: entry.time) > timeoutSeconds { return nil }
        return entry
    }
}
