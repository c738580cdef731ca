import AirlockEvents

/// Addresses that answered readable host names of a domain (`pagead2.googlesyndication.com`): where
/// that domain's services are served from.
///
/// Servers hand clients identifiers to resolve — an ad slot's `<32 hex>.safeframe.googlesyndication.com`,
/// a CDN object's host — and those names look like data. But they resolve to the same front ends as the
/// service's readable hosts, while a tunnel's server answers its data names with addresses of its own
/// (or none). An odd name answered with one of its own domain's known host addresses is treated like a
/// host lookup. Kept per domain: any domain's answers are the attacker's to choose, so a tunnel answering
/// with a popular site's address gains nothing unless its own readable hosts resolve there too.
/// Unspecified and loopback answers (sinkholes, blocked names) say nothing and are never recorded.
///
/// A fixed direct-mapped table of address hashes (65,536 slots, 512 KB, by default:
/// ``DetectionConfiguration/hostAddressSlots``); a collision can only make an address look unknown,
/// or (one in 2⁶⁴) known.
struct HostAddresses: Sendable {
    private var slots: [UInt64]
    /// Slots less one (the count is a power of two).
    private let mask: UInt64

    /// `requested` slots, rounded down to a power of two within 256…16,777,216.
    init(slots requested: Double = 65_536) {
        var bits = 8
        while bits < 24 && Double(1 << (bits + 1)) <= requested { bits += 1 }
        slots = [UInt64](repeating: 0, count: 1 << bits)
        mask = UInt64((1 << bits) - 1)
    }

    mutating func insert(_ address: IPAddress, zone: Int) {
        guard let hash = Self.hash(address, zone) else { return }
        slots[Int(truncatingIfNeeded: hash & mask)] = hash
    }

    func contains(_ address: IPAddress, zone: Int) -> Bool {
        guard let hash = Self.hash(address, zone) else { return false }
        return slots[Int(truncatingIfNeeded: hash & mask)] == hash
    }

    private static func hash(_ address: IPAddress, _ zone: Int) -> UInt64? {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325 ^ UInt64(bitPattern: Int64(zone))
        switch address {
        case .v4(let v):
            guard v != 0, v >> 24 != 127 else { return nil }
            h = (h ^ UInt64(v)) &* 0x100_0000_01b3
        case .v6(let high, let low):
            guard !(high == 0 && (low == 0 || low == 1)) else { return nil }
            h = (h ^ high) &* 0x100_0000_01b3
            h = (h ^ low) &* 0x100_0000_01b3
            h ^= 0x6
        }
        return (h ^ (h >> 29)) | 1
    }
}

/// How many distinct clients asked for each registered domain: a fleet's shared services (an ad
/// network, a cloud API) are asked by many sandboxes, a C2's lookalike domains by the implant alone.
/// Keeps up to 8 client hashes per domain (a domain with 8 is popular for good); two generations of
/// at most 32,768 domains each (≈ 5 MB).
struct DomainPopularity: Sendable {
    private struct Clients: Sendable {
        var hashes = InlineArray<8, UInt32>(repeating: 0)
        var count: UInt8 = 0
    }

    private var current: [DomainKey: Clients] = [:]
    private var previous: [DomainKey: Clients] = [:]
    private let generationSize = 32_768

    /// Records that `client` asked for `domain`; returns how many distinct clients did (at most 8).
    mutating func record(_ domain: DomainKey, _ client: ClientIdentity) -> Int {
        // One hash of the key when the domain is in the current generation (the usual case).
        if let index = current.index(forKey: domain) { return Self.add(client, to: &current.values[index]) }
        var entry = previous.removeValue(forKey: domain) ?? Clients()
        let count = Self.add(client, to: &entry)
        if current.count >= generationSize {
            previous = current
            current = [:]
        }
        current[domain] = entry
        return count
    }

    /// Adds `client` to a domain's clients (up to 8); returns how many there are.
    private static func add(_ client: ClientIdentity, to entry: inout Clients) -> Int {
        if entry.count < 8 {
            // Folded, not `hashValue` (seeded per process): two clients that share a hash count as one
            // the same way on every run.
            let folded = client.mixingCode
            let hash = UInt32(truncatingIfNeeded: folded ^ folded >> 32) | 1
            var known = false
            for i in 0..<Int(entry.count) where entry.hashes[i] == hash { known = true }
            if !known {
                entry.hashes[Int(entry.count)] = hash
                entry.count += 1
            }
        }
        return Int(entry.count)
    }

    func clients(_ domain: DomainKey) -> Int { Int((current[domain] ?? previous[domain])?.count ?? 0) }
}
