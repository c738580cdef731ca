import AirlockEvents

/// Decides which per-domain state a query name belongs to (its ``DomainKey``).
///
/// A tunnel needs a zone its server answers for, so grouping by the registered domain (eTLD+1)
/// gathers all of a tunnel's queries however its names vary. Names without a usable suffix can only
/// reach a server that was addressed directly, so they are grouped by that server.
public struct DomainGrouper: Sendable {
    private let suffixes: PublicSuffixList
    private static let reverseZones: [(label: [UInt8], value: String)] = [
        (Array("in-addr".utf8), "in-addr.arpa"),
        (Array("ip6".utf8), "ip6.arpa"),
    ]
    private static let arpa = Array("arpa".utf8)

    public init(suffixes: PublicSuffixList = .shared) {
        self.suffixes = suffixes
    }

    /// The group for `name` queried at `server`.
    public func key(for name: DNSName, server: Endpoint) -> DomainKey {
        var memo = PublicSuffixMemo.none
        return key(for: name, server: server, memo: &memo)
    }

    /// The same, with libpsl's answers about the suffixes of the name's hostname tail taken from (or put in) `memo`.
    public func key(for name: DNSName, server: Endpoint, memo: inout PublicSuffixMemo) -> DomainKey {
        let ranges = name.labelRanges
        guard let last = ranges.last else {
            return DomainKey(value: ".", kind: .suffixOnly, labelCount: 0)
        }
        let wire = name.wire
        // Reverse lookups: one group per reverse tree, not one per /8. Compared label by label: a single
        // label whose bytes end like `\7in-addr\4arpa` is not under the reverse tree (found by fuzzing).
        if ranges.count >= 2 && wire[last].elementsEqual(Self.arpa) {
            let second = wire[ranges[ranges.count - 2]]
            for zone in Self.reverseZones where second.elementsEqual(zone.label) {
                return DomainKey(value: zone.value, kind: .suffixOnly, labelCount: 2)
            }
        }
        // Ask the PSL (implicit `*` rule included) for the registrable domain, then check that its
        // suffix is really listed.
        if Self.isHostnameText(wire[last]) {
            let start = Self.tailStart(wire, ranges)
            // psl_registrable_domain's walk (libpsl's psl.c), one suffix at a time so that each answer is
            // remembered: the first suffix from the left that is a public suffix; the registrable domain
            // is it and one label more. (A single label is always public: libpsl's implicit `*` rule.)
            var i = start
            var registered: Int?
            while i < ranges.count - 1 && !isPublic(wire, ranges, from: i, &memo) {
                registered = i
                i += 1
            }
            if let registered {
                // Its suffix must really be listed: `.za` is only listed below the TLD (`co.za`), `.sea` not at all.
                if isListed(wire, ranges, from: registered + 1, &memo) {
                    return DomainKey(
                        value: Self.presentation(wire, ranges, from: registered), kind: .registeredDomain,
                        labelCount: ranges.count - registered)
                }
            } else if isListed(wire, ranges, from: start, &memo) {
                return DomainKey(value: Self.presentation(wire, ranges, from: start), kind: .suffixOnly, labelCount: ranges.count)
            }
        }
        if ranges.count >= 2 && Self.isPlausibleTLD(wire[last]) && Self.isHostnameText(wire[ranges[ranges.count - 2]]) {
            let tld = String(decoding: wire[last], as: UTF8.self)
            let second = String(decoding: wire[ranges[ranges.count - 2]], as: UTF8.self)
            return DomainKey(value: second + "." + tld, kind: .unlistedSuffix, labelCount: 2)
        }
        return DomainKey(value: server.address.description, kind: .serverAddress, labelCount: 0)
    }

    /// Whether labels `start...` are a public suffix, as `psl_registrable_domain` asks it.
    private func isPublic(_ wire: [UInt8], _ ranges: [Range<Int>], from start: Int, _ memo: inout PublicSuffixMemo) -> Bool {
        memo.answer(.isPublic, wire, from: ranges[start].lowerBound - 1) {
            suffixes.isPublicSuffix(Self.presentation(wire, ranges, from: start))
        }
    }

    /// Whether labels `start...` are explicitly listed as a suffix.
    private func isListed(_ wire: [UInt8], _ ranges: [Range<Int>], from start: Int, _ memo: inout PublicSuffixMemo) -> Bool {
        memo.answer(.isListed, wire, from: ranges[start].lowerBound - 1) {
            suffixes.isListedSuffix(Self.presentation(wire, ranges, from: start))
        }
    }

    /// A label that could be a top-level domain nobody listed: 2–24 letters, or an IDN A-label.
    static func isPlausibleTLD(_ label: ArraySlice<UInt8>) -> Bool {
        guard (2...24).contains(label.count) else {
            return label.count > 4 && label.starts(with: Array("xn--".utf8)) && label.count <= 63
        }
        return label.allSatisfy { $0 >= 0x61 && $0 <= 0x7A }
    }

    /// Letters, digits and hyphens only: safe to hand to libpsl as text.
    static func isHostnameText(_ label: ArraySlice<UInt8>) -> Bool {
        label.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D || $0 == 0x5F }
    }

    /// The first of the rightmost labels up to the first that isn't plain hostname text, at most six:
    /// the longest rule in the list has five labels, so a registrable domain has at most six (more
    /// labels only lengthen libpsl's walk). The tail libpsl is asked about starts there.
    private static func tailStart(_ wire: [UInt8], _ ranges: [Range<Int>]) -> Int {
        var start = ranges.count - 1
        while start > 0 && isHostnameText(wire[ranges[start - 1]]) && ranges.count - start < 6 { start -= 1 }
        return start
    }

    /// Labels `start...` in presentation form (hostname text: no escapes needed).
    private static func presentation(_ wire: [UInt8], _ ranges: [Range<Int>], from start: Int) -> String {
        var bytes: [UInt8] = []
        for i in start..<ranges.count {
            if i > start { bytes.append(0x2E) }
            bytes.append(contentsOf: wire[ranges[i]])
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
