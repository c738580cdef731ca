@testable import AirlockEngine
import AirlockEvents
import AirlockTestSupport
import Testing

/// The engine's speed-ups must answer exactly what the plain computation answers: a suffix set is a
/// walk over every suffix, a feature cache is the extractor.
@Suite struct LookupTableTests {
    /// The comparison the suffix set replaced: the name's end against every suffix, at a label boundary.
    static func naiveContains(_ wire: [UInt8], _ suffixes: [[UInt8]]) -> Bool {
        for suffix in suffixes where suffix.count <= wire.count {
            let start = wire.count - suffix.count
            guard wire[start...].elementsEqual(suffix) else { continue }
            var i = 0
            while i < start { i += Int(wire[i]) + 1 }
            if i == start { return true }
        }
        return false
    }

    static let suffixes = [
        "in-addr.arpa", "ip6.arpa", "spamhaus.org", "zen.spamhaus.org", "hashlookup.circl.lu", "cymru.com",
        "internal.cloudapp.net", "local", "lan", "a.b.c.d.e.f.g.h.i.j.k", "x\u{2E}y.com",
    ]

    @Test func suffixSetAnswersLikeComparingEverySuffix() throws {
        let wires = Self.suffixes.compactMap { DNSName($0)?.wire }
        let set = SuffixSet(wires)
        var names = [
            "1.2.0.192.in-addr.arpa", "in-addr.arpa", "arpa", "xin-addr.arpa", "spamhaus.org.evil.com",
            "evilspamhaus.org", "zen.spamhaus.org", "hashlookup.circl.lu", "circl.lu", "printer.local",
            "local.example.com", "a.b.c.d.e.f.g.h.i.j.k", "z.a.b.c.d.e.f.g.h.i.j.k", "b.c.d.e.f.g.h.i.j.k",
            "www.example.com", "cymru.com", "origin.asn.cymru.com", "y.com", "lan", "x.lan",
        ]
        var random = SeededRandom(seed: 16)
        for _ in 0..<2000 {
            let labels = (0..<Int(random.next() % 6)).map { _ in random.string("abcdlnmoprx-", length: 1 + Int(random.next() % 4)) }
            let tail = Self.suffixes[Int(random.next() % UInt64(Self.suffixes.count))]
            names.append((labels + [tail]).joined(separator: "."))
            names.append(labels.joined(separator: "."))
        }
        for text in names {
            guard let name = DNSName(text) else { continue }
            #expect(set.contains(name.wire) == Self.naiveContains(name.wire, wires), "\(text)")
        }
        // A label holding a dot byte is not two labels: `x\.y.com` is one label then `com`.
        let dotted = try #require(DNSName(labels: [Array("x.y".utf8), Array("com".utf8)]))
        #expect(set.contains(dotted.wire) == Self.naiveContains(dotted.wire, wires))
    }

    /// Two sets looked up in one walk, and the engine's memo of both, answer as each set alone does.
    @Test func twoSetsInOneWalkAndTheNameZoneMemoAnswerAsEachSetAlone() {
        let short = ["in-addr.arpa", "spamhaus.org", "zen.spamhaus.org", "cymru.com", "y.com"]
        let local = ["local", "lan", "internal.cloudapp.net", "home.arpa"]
        let long = Self.suffixes
        let pairs: [([String], [String])] = [(short, local), (local, short), (long, local), (short, []), ([], local), ([""], short)]
        var random = SeededRandom(seed: 17)
        var names: [DNSName] = []
        for _ in 0..<3000 {
            let labels = (0..<Int(random.next() % 6)).map { _ in random.string("abcdlnmoprx-", length: 1 + Int(random.next() % 4)) }
            let pool = short + local + long + ["com", "arpa"]
            let tail = pool[Int(random.next() % UInt64(pool.count))]
            names.append(DNSName((labels + [tail]).joined(separator: "."))!)
            if random.next() % 3 == 0 { names.append(names[Int(random.next() % UInt64(names.count))]) }
        }
        for (first, second) in pairs {
            let a = SuffixSet(first.compactMap { DNSName($0)?.wire }), b = SuffixSet(second.compactMap { DNSName($0)?.wire })
            for name in names {
                let (inA, inB) = SuffixSet.contains(name.wire, in: a, b)
                #expect(inA == a.contains(name.wire) && inB == b.contains(name.wire))
            }
        }
        let exemptions = DomainExemptions(suffixes: short), zones = LocalZones(suffixes: local)
        var memo = NameZones()
        for name in names + names + [DNSName("printer")!, DNSName(".")!] {
            let (exempt, isLocal) = memo.zones(of: name, exemptions, zones)
            #expect(exempt == exemptions.contains(name) && isLocal == zones.contains(name), "\(name)")
        }
    }

    /// The subdomain hash a search-list take-back checks first is the one the features carry.
    @Test func subdomainHashAloneIsTheFeaturesOne() {
        let extractor = NameFeatureExtractor()
        var random = SeededRandom(seed: 18)
        for _ in 0..<2000 {
            let labels = (0..<(1 + Int(random.next() % 6))).map { _ in random.string("abc019-_+/=", length: 1 + Int(random.next() % 12)) }
            let name = DNSName((labels + ["example", "com"]).joined(separator: "."))!
            for group in 0...(name.labelCount + 1) {
                #expect(
                    NameFeatureExtractor.subdomainHash(of: name, groupLabels: group)
                        == extractor.features(of: name, groupLabels: group).subdomainHash)
            }
        }
    }

    @Test func theRootSuffixMatchesEveryNameAndNoSuffixNone() {
        let name = DNSName("www.example.com")!
        #expect(SuffixSet([[]]).contains(name.wire))
        #expect(!SuffixSet([]).contains(name.wire))
        #expect(!SuffixSet([]).contains([]))
    }

    @Test func featureCacheReturnsWhatTheExtractorDoes() {
        let extractor = NameFeatureExtractor()
        var cache = FeatureCache()
        var random = SeededRandom(seed: 42)
        var names: [DNSName] = []
        for i in 0..<6000 {
            // Repeats (hits), new names (misses) and slot collisions over a table of 4096.
            if i % 3 == 0, !names.isEmpty {
                names.append(names[Int(random.next() % UInt64(names.count))])
            } else {
                names.append(DNSName(random.string("abcdef0123456789", length: 4 + Int(random.next() % 30)) + ".example.com")!)
            }
        }
        for name in names {
            for labels in [1, 2, 3] {
                #expect(cache.features(of: name, groupLabels: labels, extractor) == extractor.features(of: name, groupLabels: labels))
            }
        }
    }

    /// Four names of one set all stay; a fifth pushes out the oldest, only it.
    @Test func featureCacheKeepsFourNamesOfASet() {
        let extractor = NameFeatureExtractor()
        var cache = FeatureCache(slots: 16)
        let sets = CacheSets(slots: 16)
        // The cache's key for two group labels.
        let sharing = keysSharingASet(5, make: { DNSName("host\($0).example.com")! }) {
            sets.firstSlot(of: (($0.wireHash ^ 2) &* 0x100_0000_01b3) | 1)
        }
        let misses = fourWaySetMisses(sharing, ask: { name in
            #expect(cache.features(of: name, groupLabels: 2, extractor) == extractor.features(of: name, groupLabels: 2))
        }, misses: { cache.misses })
        #expect(misses == [4, 4, 5, 6])
    }

    /// An expansion's hashes worked out from the bare name's hash and the suffix's bytes are the
    /// hashes of the built expansion (its wire hash, and its subdomain's left of the suffix's domain).
    @Test func expansionHashesAreTheBuiltExpansions() throws {
        var random = SeededRandom(seed: 41)
        let suffixes: [(String, Int)] = [
            ("dc1.acme.com", 2), ("acme.com", 2), ("corp.example.co.uk", 3), ("a.b.c.example.org", 2),
            ("example.org", 3),  // a domain reaching past the suffix: the built-name path
        ]
        var checked = 0
        for _ in 0..<3000 {
            let (text, domainLabels) = suffixes[Int(random.next() % UInt64(suffixes.count))]
            let suffixWire = try #require(DNSName(text)).wire
            let suffix = SearchSuffixes.Suffix(
                wire: suffixWire, domain: DomainKey(value: "d", kind: .registeredDomain, labelCount: domainLabels))
            let labels = (0..<Int(random.next() % 5)).map { _ in random.string("abcxyz019-", length: 1 + Int(random.next() % 9)) }
            var bare = labels.joined(separator: ".")
            if random.next() % 5 == 0 { bare += (bare.isEmpty ? "" : ".") + text }  // already under the suffix
            let name = try #require(DNSName(bare))
            let hashes = SearchSuffixes.expansionHashes(of: name, under: suffix)
            guard let built = SearchSuffixes.expansion(of: name, under: suffix) else {
                #expect(hashes == nil, "\(bare) under \(text)")
                continue
            }
            #expect(
                hashes
                    == SearchSuffixes.ExpansionHashes(
                        wireHash: DNSName.fnv1a(built.name.wire.span),
                        subdomainHash: NameFeatureExtractor.subdomainHash(of: built.name, groupLabels: domainLabels)),
                "\(bare) under \(text)")
            checked += 1
        }
        #expect(checked > 2000)
    }
}
