import AirlockHTTPWire

/// Bytes of novel information in plain-HTTP request heads: what a head tells its destination that
/// the sandbox's recent heads to the same destination did not (issue #11: data spelled as
/// pronounceable syllables in URL paths passed the entropy check at ~2.8 MB/hour).
///
/// The DNS leak budget's idea applied to heads, and as cheap: one pass over the head, no model, no
/// entropy (syllables, words and hex all count what they spell). A head is its target line (method,
/// host, path and query) and the fields forwarded upstream:
/// - the whole head equal to the previous one: 0 bytes;
/// - the target: equal to the previous target, 0; equal to one of the last ``recentTargets``, 1 byte
///   (choosing among known URLs carries a few bits, not its length); else its length less the bytes
///   it shares at the start and end with the closest of the last ``keptTargets`` (a counter or an id
///   changing inside a fixed URL counts what changed, not the URL);
/// - a field: compared the same way with the last value of the same name sent to this destination;
///   a name not seen recently counts its name and value;
/// - the list of field names differing from the previous head's: 1 byte.
///
/// Memory per destination is bounded (under 3 KiB): ``targetEdge`` bytes at each end of
/// ``keptTargets`` targets, ``fieldEdge`` at each end of the last value of at most ``keptFields``
/// names (the least recently sent name gives way). A line longer than twice its edge can only
/// match on its edges, so a change in its middle counts the middle: that errs toward counting more.
public struct HeadMemory: Sendable {
    public static let targetEdge = 128
    public static let fieldEdge = 32
    public static let keptTargets = 4
    public static let keptFields = 24
    public static let recentTargets = 16

    /// A remembered line: its name's hash (0 for targets), its value's hash and length, and its
    /// edges (prefix then suffix).
    struct Line: Sendable {
        var name: UInt64
        var hash: UInt64
        var length: Int
        var prefix: Int
        var edges: [UInt8]
        /// When it was last sent (a count of heads), for giving way.
        var used: Int

        init(_ line: HeadLines.Line, edge: Int, used: Int) {
            name = line.name
            hash = line.hash
            length = line.value.count
            prefix = min(edge, length)
            let suffix = min(edge, length - prefix)
            edges = Array(line.value[..<prefix]) + line.value[(length - suffix)...]
            self.used = used
        }

        /// Bytes of `value` not shared with this line's edges.
        func changed(_ value: [UInt8]) -> Int {
            let prefixLimit = min(prefix, value.count)
            var shared = 0
            while shared < prefixLimit && edges[shared] == value[shared] { shared += 1 }
            // The suffix may not reach into what the prefix matched, in the new value or the old one.
            let suffixLimit = min(edges.count - prefix, value.count - shared, length - shared)
            var suffix = 0
            while suffix < suffixLimit && edges[edges.count - 1 - suffix] == value[value.count - 1 - suffix] {
                suffix += 1
            }
            return value.count - shared - suffix
        }
    }

    /// The last distinct targets, most recent last.
    var targets: [Line] = []
    /// The last value of each recently sent field name.
    var fields: [Line] = []
    /// Hashes of recent targets, a ring.
    var recent = [UInt64](repeating: 0, count: HeadMemory.recentTargets)
    var recentNext = 0
    /// The previous head's hash, and its list of field names'.
    var headHash: UInt64 = 0
    var namesHash: UInt64 = 0
    /// Heads charged so far.
    var heads = 0

    public init() {}

    /// Bytes of edges held (at most ``keptTargets`` × 2 × ``targetEdge`` + ``keptFields`` × 2 × ``fieldEdge``).
    public var storedBytes: Int { (targets + fields).reduce(0) { $0 + $1.edges.count } }

    /// The novel bytes of `head` (as ``HeadLines/of(_:host:)`` lists it); remembers it.
    public mutating func charge(_ head: HeadLines) -> Int {
        heads += 1
        if head.hash == headHash { return 0 }
        headHash = head.hash
        var novel = 0
        if let target = head.lines.first { novel += chargeTarget(target) }
        for line in head.lines.dropFirst() { novel += chargeField(line) }
        if head.namesHash != namesHash { novel += 1 }
        namesHash = head.namesHash
        return novel
    }

    mutating func chargeTarget(_ target: HeadLines.Line) -> Int {
        if targets.last?.hash == target.hash { return 0 }
        let novel: Int
        if recent.contains(target.hash) {
            novel = 1
        } else {
            novel = targets.map { $0.changed(target.value) }.min() ?? target.value.count
            recent[recentNext] = target.hash
            recentNext = (recentNext + 1) % Self.recentTargets
        }
        targets.removeAll { $0.hash == target.hash }
        if targets.count == Self.keptTargets { targets.removeFirst() }
        targets.append(Line(target, edge: Self.targetEdge, used: heads))
        return novel
    }

    mutating func chargeField(_ field: HeadLines.Line) -> Int {
        guard let index = fields.firstIndex(where: { $0.name == field.name }) else {
            if fields.count == Self.keptFields, let oldest = fields.indices.min(by: { fields[$0].used < fields[$1].used }) {
                fields.remove(at: oldest)
            }
            fields.append(Line(field, edge: Self.fieldEdge, used: heads))
            return field.nameLength + field.value.count
        }
        let old = fields[index]
        if old.hash == field.hash {
            fields[index].used = heads
            return 0
        }
        fields[index] = Line(field, edge: Self.fieldEdge, used: heads)
        return old.changed(field.value)
    }
}

/// The lines of a request head that reach the destination, as ``HeadMemory`` compares them.
public struct HeadLines: Sendable {
    public struct Line: Sendable {
        /// FNV-1a of the lower-cased field name; 0 for the target.
        public var name: UInt64
        /// The name's length plus ": " (what a new field costs beyond its value).
        public var nameLength: Int
        public var value: [UInt8]
        /// FNV-1a of the value.
        public var hash: UInt64
    }

    /// The target line, then the fields in order.
    public var lines: [Line]

    /// One hash of every line.
    public var hash: UInt64 {
        lines.reduce(0xcbf2_9ce4_8422_2325) { (($0 ^ $1.name) &* 0x100_0000_01b3 ^ $1.hash) &* 0x100_0000_01b3 }
    }

    /// One hash of the field names in order.
    public var namesHash: UInt64 {
        lines.dropFirst().reduce(0xcbf2_9ce4_8422_2325) { ($0 ^ $1.name) &* 0x100_0000_01b3 }
    }

    /// The target line (`METHOD host/path?query`) and every field the proxy forwards upstream
    /// (hop-by-hop fields, `Proxy-Authorization` among them, and `Host` stay behind).
    public static func of(_ head: HTTPRequestHead, host: String) -> HeadLines {
        let target = Array((head.method + " " + host + head.pathAndQuery).utf8)
        var lines = [Line(name: 0, nameLength: 0, value: target, hash: hash(target))]
        for field in HTTPHeadWriter.forwardedFields(head) {
            let value = Array(field.value.utf8)
            lines.append(
                Line(
                    name: hash(Array(field.name.lowercased().utf8)) | 1, nameLength: field.name.utf8.count + 2,
                    value: value, hash: hash(value)))
        }
        return HeadLines(lines: lines)
    }

    static func hash(_ bytes: [UInt8]) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return h
    }
}
