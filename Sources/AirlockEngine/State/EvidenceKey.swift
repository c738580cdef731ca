import AirlockEvents

/// Whose queries a piece of evidence is about: the sandbox when the boundary knows it, else the
/// client's address (never its port — one host uses many).
public enum ClientIdentity: Hashable, Sendable, CustomStringConvertible {
    case sandbox(SandboxID)
    case address(IPAddress)
    /// Every client together (``DetectionConfiguration/evidencePerClient`` off).
    case everyone

    public init(client: Endpoint, sandbox: SandboxID?) {
        if let sandbox { self = .sandbox(sandbox) } else { self = .address(client.address) }
    }

    /// One combine for an address (the popularity table hashes a client per query).
    public func hash(into hasher: inout Hasher) {
        switch self {
        case .address(let address): hasher.combine(address.folded &* 0x9E37_79B9_7F4A_7C15)
        case .everyone: hasher.combine(0x5A5A as UInt64)
        case .sandbox(let sandbox):
            hasher.combine(0xA5A5 as UInt64)
            hasher.combine(sandbox.name)
        }
    }

    /// The identity folded into 64 bits for the engine's direct-mapped tables (per-client search
    /// suffixes, noted answers): the same on every run, and no SipHash round per lookup (a `Hasher`
    /// there was ~3 % of replay's engine thread).
    var mixingCode: UInt64 {
        switch self {
        case .address(let address): return address.folded &* 0x9E37_79B9_7F4A_7C15
        case .everyone: return 0x5A5A
        case .sandbox(let sandbox):
            var hash: UInt64 = 0xcbf2_9ce4_8422_2325
            for byte in sandbox.name.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
            return hash ^ 0xA5A5
        }
    }

    public var description: String {
        switch self {
        case .sandbox(let s): return "sandbox \(s.name)"
        case .address(let a): return a.description
        case .everyone: return "all clients"
        }
    }
}

/// What per-domain state is kept under: a domain group as one client sees it.
///
/// Evidence is per client because a tunnel is one client moving data, while the harmless
/// high-cardinality domains (a CDN's endpoint names, video caches, cloud storage buckets) are many
/// clients each asking for a few names: summed over a whole network they look like data, seen from
/// any one client they don't. A verdict still applies to the domain for every client (see
/// ``DetectionEngine``'s convicted domains): the attacker's zone is blocked for all sandboxes.
public struct EvidenceKey: Hashable, Sendable {
    public var domain: DomainKey
    public var client: ClientIdentity

    public init(domain: DomainKey, client: ClientIdentity) {
        self.domain = domain
        self.client = client
    }

    /// The domain's stored code and the client folded into one combine: the per-client state, beacon
    /// and campaign tables hash a key for every query and response.
    public func hash(into hasher: inout Hasher) {
        let domainCode = UInt64(domain.hashCode) << 32
        switch client {
        case .address(let address): hasher.combine(domainCode ^ address.folded &* 0x9E37_79B9_7F4A_7C15)
        case .everyone: hasher.combine(domainCode ^ 0x5A5A)
        case .sandbox(let sandbox):
            hasher.combine(domainCode)
            hasher.combine(sandbox.name)
        }
    }

    /// What the tables hash a key by: the same folded value, mixed with the table's seed by a few
    /// multiplications instead of a SipHash round (Hashable's customisation point for it; the tables
    /// look a key up two or three times per query and response, and SipHash was most of each lookup).
    public func _rawHashValue(seed: Int) -> Int {
        let domainCode = UInt64(domain.hashCode) << 32
        switch client {
        case .address(let address): return KeyMixing.mix(domainCode ^ address.folded &* 0x9E37_79B9_7F4A_7C15, seed)
        case .everyone: return KeyMixing.mix(domainCode ^ 0x5A5A, seed)
        case .sandbox(let sandbox): return KeyMixing.mix(domainCode ^ UInt64(bitPattern: Int64(sandbox.name.hashValue)), seed)
        }
    }
}

/// A 64-bit finaliser (MurmurHash3's) for keys that fold their fields into one value themselves.
enum KeyMixing {
    @inline(__always)
    static func mix(_ value: UInt64, _ seed: Int) -> Int {
        var h = value ^ (UInt64(bitPattern: Int64(seed)) &* 0x9E37_79B9_7F4A_7C15)
        h ^= h >> 33
        h &*= 0xFF51_AFD7_ED55_8CCD
        h ^= h >> 33
        h &*= 0xC4CE_B9FE_1A85_EC53
        h ^= h >> 33
        return Int(truncatingIfNeeded: h)
    }
}
