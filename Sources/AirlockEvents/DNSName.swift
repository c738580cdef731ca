/// A domain name in DNS wire form (length-prefixed labels, no terminating zero), lower-cased.
///
/// Wire form is unambiguous (a label may hold a `.` byte) and is one allocation. Letters are
/// folded to lower case on construction, because resolvers and stub clients randomise case
/// (DNS 0x20, e.g. `2.SeCURednS.aVasT.CoM`) and that must never look like randomness in the
/// name. Whether the original had mixed case is kept in ``hadMixedCase``.
public struct DNSName: Hashable, Sendable, CustomStringConvertible {
    /// Length-prefixed labels, lower-cased ASCII letters; the root name is empty.
    public private(set) var wire: [UInt8]
    /// Whether the name arrived with both upper- and lower-case letters (0x20 randomisation or encoding).
    public private(set) var hadMixedCase: Bool
    /// Labels (a name has at most 127), counted once when the name is made.
    private var storedLabelCount: UInt8
    /// FNV-1a (64-bit) of ``wire``, worked out once when the name is made (``fnv1a(_:)``): the engine's
    /// caches and tables key names by it, and replay's reader gets it from its name table.
    public private(set) var wireHash: UInt64
    public static let maxWireLength = 255

    /// Builds a name from labels (bytes as they arrived; folded to lower case here).
    /// Returns nil when a label is empty or longer than 63 bytes, or the name longer than 255.
    public init?<S: Sequence>(labels: S) where S.Element: Collection, S.Element.Element == UInt8 {
        var wire: [UInt8] = []
        var sawUpper = false, sawLower = false
        for label in labels {
            guard !label.isEmpty, label.count <= 63 else { return nil }
            wire.append(UInt8(label.count))
            for b in label {
                if b >= 0x41 && b <= 0x5A {
                    sawUpper = true
                    wire.append(b | 0x20)
                } else {
                    if b >= 0x61 && b <= 0x7A { sawLower = true }
                    wire.append(b)
                }
            }
        }
        guard wire.count + 1 <= DNSName.maxWireLength else { return nil }
        self.init(validatedWire: wire, hadMixedCase: sawUpper && sawLower)
    }

    /// Parses presentation form (`www.example.com`, trailing dot optional). No escapes.
    public init?(_ text: String) {
        var t = Substring(text)
        if t.hasSuffix(".") { t = t.dropLast() }
        if t.isEmpty { self.init(labels: [[UInt8]]()); return }
        self.init(labels: t.split(separator: ".", omittingEmptySubsequences: false).map { Array($0.utf8) })
    }

    /// Internal constructor for already-validated lower-cased wire bytes.
    public init(validatedWire: [UInt8], hadMixedCase: Bool) {
        var count = 0, i = 0
        while i < validatedWire.count { count += 1; i += Int(validatedWire[i]) + 1 }
        self.init(
            validatedWire: validatedWire, hadMixedCase: hadMixedCase, wireHash: Self.fnv1a(validatedWire.span),
            labelCount: count)
    }

    /// For a reader that already knows the name's hash (``fnv1a(_:)`` of `validatedWire`) and label count.
    package init(validatedWire: [UInt8], hadMixedCase: Bool, wireHash: UInt64, labelCount: Int) {
        self.wire = validatedWire
        self.hadMixedCase = hadMixedCase
        self.storedLabelCount = UInt8(truncatingIfNeeded: labelCount)
        self.wireHash = wireHash
    }

    /// FNV-1a (64-bit) of `bytes`: ``wireHash`` for a name's wire form.
    public static func fnv1a(_ bytes: Span<UInt8>) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        var i = 0
        while i < bytes.count {
            hash = (hash ^ UInt64(bytes[i])) &* 0x100_0000_01b3
            i += 1
        }
        return hash
    }

    /// Number of labels (0 for the root).
    public var labelCount: Int { Int(storedLabelCount) }

    /// The same as comparing every field; the stored hash first, so different names part in one step.
    public static func == (lhs: DNSName, rhs: DNSName) -> Bool {
        lhs.wireHash == rhs.wireHash && lhs.hadMixedCase == rhs.hadMixedCase && lhs.wire == rhs.wire
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(wireHash)
        hasher.combine(hadMixedCase)
    }

    /// Byte ranges (into ``wire``) of each label's content, left to right.
    public var labelRanges: [Range<Int>] {
        var ranges: [Range<Int>] = []
        var i = 0
        while i < wire.count {
            let n = Int(wire[i])
            ranges.append((i + 1)..<(i + 1 + n))
            i += n + 1
        }
        return ranges
    }

    /// Length in presentation form without the trailing dot (what a user would count).
    public var presentationLength: Int { wire.isEmpty ? 1 : wire.count - 1 }

    /// The rightmost `count` labels as a name (e.g. `count: 2` of `a.b.example.com` is `example.com`).
    public func suffix(labels count: Int) -> DNSName {
        let ranges = labelRanges
        guard count < ranges.count else { return self }
        guard count > 0 else { return DNSName(validatedWire: [], hadMixedCase: false) }
        let start = ranges[ranges.count - count].lowerBound - 1
        return DNSName(validatedWire: Array(wire[start...]), hadMixedCase: hadMixedCase)
    }

    /// Presentation form without a trailing dot; bytes outside printable ASCII, `.` and `\`
    /// inside labels are escaped as `\DDD` (RFC 1035 §5.1), so output is always one safe line.
    public var description: String {
        if wire.isEmpty { return "." }
        var out: [UInt8] = []
        out.reserveCapacity(wire.count + 8)
        var i = 0
        while i < wire.count {
            let n = Int(wire[i])
            if i > 0 { out.append(0x2E) }
            for b in wire[(i + 1)..<(i + 1 + n)] {
                if b == 0x2E || b == 0x5C || b == 0x22 {
                    out.append(0x5C); out.append(b)
                } else if b < 0x21 || b > 0x7E {
                    out.append(0x5C)
                    out.append(0x30 + b / 100); out.append(0x30 + (b / 10) % 10); out.append(0x30 + b % 10)
                } else {
                    out.append(b)
                }
            }
            i += n + 1
        }
        return String(decoding: out, as: UTF8.self)
    }
}
