import AirlockEvents

/// Zone suffixes in wire form, and the question every query and response asks of them: does this
/// name lie at or below one (label boundaries respected)?
///
/// The name is hashed once from its end, label by label; at each of its last ``maxLabels`` label
/// boundaries the hash of the tail so far is looked up in a small open-addressing table of the
/// suffixes' hashes, and a hit is confirmed byte by byte. A tail that equals a suffix has that
/// suffix's labels, so no boundary further left can match: the answer is the same as comparing the
/// name's end with every suffix (what this replaced), in a few steps whatever the list's length.
struct SuffixSet: Sendable {
    private let suffixes: [[UInt8]]
    /// Hashes of the suffixes (0: empty slot) and the index of the suffix in each slot.
    private let hashes: [UInt64]
    private let indices: [Int]
    private let mask: Int
    /// The most labels any suffix has.
    private let maxLabels: Int
    /// The root is among the suffixes: every name matches.
    private let matchesEverything: Bool

    init(_ suffixes: [[UInt8]]) {
        self.suffixes = suffixes
        matchesEverything = suffixes.contains { $0.isEmpty }
        var size = 8
        while size < suffixes.count * 4 { size <<= 1 }
        var hashes = [UInt64](repeating: 0, count: size)
        var indices = [Int](repeating: -1, count: size)
        var maxLabels = 0
        for (index, suffix) in suffixes.enumerated() where !suffix.isEmpty {
            var labels = 0, i = 0
            while i < suffix.count { labels += 1; i += Int(suffix[i]) + 1 }
            maxLabels = max(maxLabels, labels)
            let hash = Self.hashFromEnd(suffix.span, downTo: 0)
            var slot = Int(truncatingIfNeeded: hash) & (size - 1)
            while hashes[slot] != 0 { slot = (slot + 1) & (size - 1) }
            hashes[slot] = hash
            indices[slot] = index
        }
        self.hashes = hashes
        self.indices = indices
        self.mask = size - 1
        self.maxLabels = maxLabels
    }

    /// FNV-1a over `bytes[start...]` taken from the last byte to the first, never 0.
    private static func hashFromEnd(_ bytes: Span<UInt8>, downTo start: Int) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        var j = bytes.count - 1
        while j >= start {
            hash = (hash ^ UInt64(bytes[j])) &* 0x100_0000_01b3
            j -= 1
        }
        return hash | 1
    }

    /// Whether `wire` (a name in wire form) is one of the suffixes or lies below one.
    func contains(_ wire: [UInt8]) -> Bool {
        if matchesEverything { return true }
        guard maxLabels > 0 else { return false }
        let name = wire.span
        guard maxLabels > 8 else { return containsShort(name) }
        // Label starts (a name has at most 127 labels and 255 bytes).
        var starts = InlineArray<128, UInt8>(repeating: 0)
        var count = 0, i = 0
        while i < name.count && count < 128 {
            starts[count] = UInt8(truncatingIfNeeded: i)
            count += 1
            i += Int(name[i]) + 1
        }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        var j = name.count - 1
        var label = count - 1
        while label >= 0 && label >= count - maxLabels {
            let start = Int(starts[label])
            while j >= start {
                hash = (hash ^ UInt64(name[j])) &* 0x100_0000_01b3
                j -= 1
            }
            if lookUp(hash | 1, name, from: start) { return true }
            label -= 1
        }
        return false
    }

    /// ``contains(_:)`` for suffixes of at most 8 labels (every list so far): the starts of the last 8
    /// labels in a ring, not the starts of all of them in a 128-byte array cleared per call.
    private func containsShort(_ name: Span<UInt8>) -> Bool {
        var starts = InlineArray<8, UInt8>(repeating: 0)
        var count = 0, i = 0
        while i < name.count {
            starts[count & 7] = UInt8(truncatingIfNeeded: i)
            count += 1
            i += Int(name[i]) + 1
        }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        var j = name.count - 1
        var label = count - 1
        while label >= 0 && label >= count - maxLabels {
            let start = Int(starts[label & 7])
            while j >= start {
                hash = (hash ^ UInt64(name[j])) &* 0x100_0000_01b3
                j -= 1
            }
            if lookUp(hash | 1, name, from: start) { return true }
            label -= 1
        }
        return false
    }

    /// `(a.contains(wire), b.contains(wire))` in one walk: both sets hash the name's tail the same way
    /// from its end, so each label boundary's hash is worked out once and looked up in either set.
    static func contains(_ wire: [UInt8], in a: SuffixSet, _ b: SuffixSet) -> (Bool, Bool) {
        guard a.maxLabels <= 8, b.maxLabels <= 8 else { return (a.contains(wire), b.contains(wire)) }
        var inA = a.matchesEverything, inB = b.matchesEverything
        let deepest = max(inA ? 0 : a.maxLabels, inB ? 0 : b.maxLabels)
        guard deepest > 0 else { return (inA, inB) }
        let name = wire.span
        var starts = InlineArray<8, UInt8>(repeating: 0)
        var count = 0, i = 0
        while i < name.count {
            starts[count & 7] = UInt8(truncatingIfNeeded: i)
            count += 1
            i += Int(name[i]) + 1
        }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        var j = name.count - 1
        var label = count - 1
        while label >= 0 && label >= count - deepest && !(inA && inB) {
            let start = Int(starts[label & 7])
            while j >= start {
                hash = (hash ^ UInt64(name[j])) &* 0x100_0000_01b3
                j -= 1
            }
            let depth = count - label
            if !inA && depth <= a.maxLabels && a.lookUp(hash | 1, name, from: start) { inA = true }
            if !inB && depth <= b.maxLabels && b.lookUp(hash | 1, name, from: start) { inB = true }
            label -= 1
        }
        return (inA, inB)
    }

    private func lookUp(_ hash: UInt64, _ name: Span<UInt8>, from start: Int) -> Bool {
        var slot = Int(truncatingIfNeeded: hash) & mask
        while hashes[slot] != 0 {
            if hashes[slot] == hash && Self.equal(suffixes[indices[slot]], name, from: start) { return true }
            slot = (slot + 1) & mask
        }
        return false
    }

    private static func equal(_ suffixBytes: [UInt8], _ name: Span<UInt8>, from start: Int) -> Bool {
        let suffix = suffixBytes.span
        guard suffix.count == name.count - start else { return false }
        var k = 0
        while k < suffix.count {
            if suffix[k] != name[start + k] { return false }
            k += 1
        }
        return true
    }
}
