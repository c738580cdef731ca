import AirlockEvents

/// Question names parsed recently, so a name that comes back is not copied again: the response to a
/// query carries the query's name, and clients ask for the same hosts again and again.
///
/// ``DNSWireReader/parse(_:names:)`` looks the question up here (a hash of its lower-cased bytes,
/// then the bytes compared) and hands out the stored bytes when they match: the name is the same
/// value it would have copied (same bytes, its own mixed-case flag), without an allocation per
/// message, and names that share storage compare in one step.
///
/// A direct-mapped table of ``slotCount`` names (≈ 64 bytes each), so its memory is fixed.
public struct DNSNameTable: Sendable {
    public static let slotCount = 16_384

    /// Per slot: the hash of the lower-cased name (0: empty) and its bytes.
    private var hashes: [UInt64]
    private var names: [[UInt8]]

    public init() {
        hashes = [UInt64](repeating: 0, count: Self.slotCount)
        names = [[UInt8]](repeating: [], count: Self.slotCount)
    }

    private init(empty: Void) {
        hashes = []
        names = []
    }

    /// No table: every name is copied (a one-off parse allocates nothing more for it).
    static var disabled: DNSNameTable { DNSNameTable(empty: ()) }

    /// The name that ``DNSNameReader/scan`` accepted at `start`, from the table or copied into it.
    /// `hash` is ``DNSNameScan/hash`` (the lower-cased bytes' FNV-1a, from the scan that accepted it).
    mutating func name(_ s: Span<UInt8>, at start: Int, wireLength: Int, mixedCase: Bool, hash scanned: UInt64) -> DNSName {
        if hashes.isEmpty {
            return DNSName(
                validatedWire: DNSNameReader.copyLowercased(s, at: start, wireLength: wireLength), hadMixedCase: mixedCase)
        }
        let hash = scanned | 1
        let slot = Int(truncatingIfNeeded: (hash ^ (hash >> 29)) & UInt64(Self.slotCount - 1))
        if hashes[slot] == hash && Self.matches(names[slot], s, at: start, wireLength: wireLength) {
            return DNSName(validatedWire: names[slot], hadMixedCase: mixedCase)
        }
        let wire = DNSNameReader.copyLowercased(s, at: start, wireLength: wireLength)
        hashes[slot] = hash
        names[slot] = wire
        return DNSName(validatedWire: wire, hadMixedCase: mixedCase)
    }

    private static func matches(_ stored: [UInt8], _ s: Span<UInt8>, at start: Int, wireLength: Int) -> Bool {
        stored.count == wireLength - 1 && DNSNameReader.lowercasedEquals(s, at: start, stored.span)
    }
}
