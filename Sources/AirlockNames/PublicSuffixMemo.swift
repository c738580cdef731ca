import AirlockEvents

/// What the Public Suffix List said about the suffixes ``DomainGrouper`` asked it about, remembered in
/// a small direct-mapped table.
///
/// Why: ``GroupingCache`` keys a name by its last five labels, so a tunnel whose data sits in those
/// labels misses it on nearly every query, and each miss asked libpsl about every suffix of the name's
/// hostname tail again (`psl_registrable_domain` walks `x.c2.example.net`, `c2.example.net`,
/// `example.net`, `net`; two lookups in libpsl's compiled list each, ≈ 25,000 instructions a name).
/// The suffixes below the data labels are few and come back with every query of the tunnel; only the
/// longest, holding a data label, is new. An answer depends on the suffix's bytes alone, so
/// remembering it changes no group.
///
/// State: per slot, the suffix's hash (0: empty), its wire bytes (compared on a hit, so two suffixes
/// that share a slot only cost a question) and what is known of it: each of the two questions is
/// asked the first time it is needed. A memo with no slots (``none``) remembers nothing.
public struct PublicSuffixMemo: Sendable {
    /// The two questions grouping asks about a suffix.
    enum Question: UInt8, Sendable {
        /// Whether the suffix is a public suffix as `psl_registrable_domain` decides it (the implicit
        /// `*` rule included).
        case isPublic = 1
        /// Whether the suffix is explicitly listed.
        case isListed = 4
    }

    private var hashes: [UInt64]
    private var suffixes: [[UInt8]]
    /// Per slot: bit `q` set when question `q` was answered, bit `q << 1` its answer.
    private var known: [UInt8]
    private let mask: Int
    /// Questions that went to libpsl (not answered from the memo).
    public private(set) var asked = 0

    /// - Parameter capacity: slots, rounded up to a power of two (≈ 40 bytes each plus the suffix).
    public init(capacity: Int = 4096) {
        var size = 1
        while size < capacity { size <<= 1 }
        hashes = [UInt64](repeating: 0, count: size)
        suffixes = [[UInt8]](repeating: [], count: size)
        known = [UInt8](repeating: 0, count: size)
        mask = size - 1
    }

    private init(empty: Void) {
        hashes = []
        suffixes = []
        known = []
        mask = 0
    }

    /// Remembers nothing: every question goes to libpsl.
    public static var none: PublicSuffixMemo { PublicSuffixMemo(empty: ()) }

    /// The answer to `question` about the suffix `wire[start...]` (wire form, lower case), from the
    /// memo or from `ask`.
    mutating func answer(_ question: Question, _ wire: [UInt8], from start: Int, ask: () -> Bool) -> Bool {
        guard !hashes.isEmpty else {
            asked += 1
            return ask()
        }
        let bytes = wire.span
        let hash = DNSName.fnv1a(bytes.extracting(start..<bytes.count)) | 1
        let slot = Int(truncatingIfNeeded: hash ^ (hash >> 29)) & mask
        let bit = question.rawValue
        if hashes[slot] == hash && GroupingCache.equal(suffixes[slot], bytes, from: start) {
            if known[slot] & bit != 0 { return known[slot] & (bit << 1) != 0 }
        } else {
            hashes[slot] = hash
            suffixes[slot] = Array(wire[start...])
            known[slot] = 0
        }
        asked += 1
        let answer = ask()
        known[slot] |= bit | (answer ? bit << 1 : 0)
        return answer
    }
}
