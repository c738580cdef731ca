import AirlockEngine
import AirlockEvents
import AirlockTestSupport
import Testing

/// Evidence per client, verdicts per domain; how much of a name is new; what a short odd name counts.
@Suite struct ClientEvidenceTests {
    /// `word-<16 random>`-style endpoint ids, each asked once (type A only, so no repeat cancels them).
    private func endpointNames(_ count: Int, seed: UInt64) -> [String] {
        var random = SeededRandom(seed: seed)
        return (0..<count).map { _ in
            "rr\(random.next() % 20)---sn-\(random.string("abcdefghijklmnopqrstuvwxyz0123456789", length: 10)).video-cdn.com"
        }
    }

    /// Forty clients each asking for three odd endpoint names: summed over the network that is 120
    /// distinct odd names in a few minutes (what a CDN looks like from a resolver), per client it is
    /// nothing. The same 120 names from one client are data.
    @Test func oddNamesSpreadOverManyClientsAreNotATunnelButFromOneClientTheyAre() {
        let names = endpointNames(120, seed: 11)
        var engine = DetectionEngine()
        var factory = QueryFactory()
        for (i, name) in names.enumerated() {
            factory.client = Endpoint(address: .v4(0xC612_0200 + UInt32(i % 40)), port: 40000)
            let a = engine.inspect(factory.query(name, gap: 1))
            #expect(a.verdict?.kind != .tunnel, "query \(i): \(a.verdict?.explanation ?? "")")
        }
        var single = DetectionEngine()
        var one = QueryFactory()
        let verdicts = names.compactMap { single.inspect(one.query($0, gap: 1)).verdict }.filter { $0.kind == .tunnel }
        #expect(verdicts.first?.isFirst == true)
        #expect((verdicts.first?.queries ?? .max) < 40)
    }

    /// A capture at a tunnel's authoritative server behind a public resolver: the queries come from a
    /// pool of resolver addresses, two each, with RD clear (iterative). Pooled, they convict the zone;
    /// the same queries from thirty stub clients (RD set) are two odd names per client and do not.
    @Test func iterativeQueriesFromAResolverPoolArePooled() {
        func run(recursionDesired: Bool) -> Verdict? {
            var engine = DetectionEngine()
            var factory = QueryFactory()
            var random = SeededRandom(seed: 41)
            var tunnel: Verdict?
            for i in 0..<60 {
                factory.client = Endpoint(address: .v4(0xC612_0300 + UInt32(i % 30)), port: 53)
                var q = factory.query(random.string(base32Alphabet, length: 40) + ".t.exfil.example", gap: 0.5)
                q.recursionDesired = recursionDesired
                if let v = engine.inspect(q).verdict, v.kind == .tunnel, tunnel == nil { tunnel = v }
            }
            return tunnel
        }
        let pooled = run(recursionDesired: false)
        #expect(pooled?.isFirst == true)
        #expect((pooled?.queries ?? .max) <= 6)
        #expect(run(recursionDesired: true) == nil)
    }

    /// With `evidence_per_client` 0 the domain's evidence is summed over every client again.
    @Test func evidencePerClientOffSumsAllClients() {
        var configuration = DetectionConfiguration()
        configuration.evidencePerClient = 0
        var engine = DetectionEngine(configuration: configuration)
        var factory = QueryFactory()
        var random = SeededRandom(seed: 5)
        var tunnel: Verdict?
        for i in 0..<40 {
            factory.client = Endpoint(address: .v4(0xC612_0200 + UInt32(i)), port: 40000)
            let name = random.string(base32Alphabet, length: 50) + ".exfil.example"
            let verdict = engine.inspect(factory.query(name)).verdict
            if tunnel == nil, verdict?.kind == .tunnel { tunnel = verdict }
        }
        #expect(tunnel?.kind == .tunnel)
        #expect((tunnel?.queries ?? .max) < 10)
    }

    /// A zone convicted on one sandbox's evidence is a tunnel for every sandbox: another client's very
    /// first query to it carries the verdict (no new alert: `isFirst` false), so quarantine applies.
    @Test func aConvictedDomainCarriesItsVerdictToOtherClients() {
        var engine = DetectionEngine()
        var factory = QueryFactory()
        var random = SeededRandom(seed: 9)
        var convicted = false
        for _ in 0..<20 where !convicted {
            let a = engine.inspect(factory.query(random.string(base32Alphabet, length: 60) + ".exfil.example"))
            convicted = a.verdict?.kind == .tunnel
        }
        #expect(convicted)
        #expect(engine.convictedDomains == 1)
        factory.client = Endpoint(address: .v4(0xC612_0999), port: 5353)
        let other = engine.inspect(factory.query("www.exfil.example"))
        #expect(other.domainIsTunnel)
        #expect(other.verdict?.kind == .tunnel)
        #expect(other.verdict?.rule == "dns.tunnel.convicted_domain")
        #expect(other.verdict?.isFirst == false)
        // Other domains from that client are untouched.
        #expect(!engine.inspect(factory.query("www.example.org")).domainIsTunnel)
    }

    /// One client walking through 600 numbered hosts of one domain in five minutes: the names differ in
    /// a digit or two, so each adds a byte of news, not its whole length. Names random throughout (12
    /// characters, too short to look suspicious one by one) are data: as odd names within the hour or
    /// by their information, they are convicted.
    @Test func numberedHostsAddLittleInformationRandomNamesAddAll() {
        var engine = DetectionEngine()
        var factory = QueryFactory()
        for i in 0..<600 {
            let a = engine.inspect(factory.query("host\(String(10_000 + i).dropFirst()).cdn.shards-example.com", gap: 0.5))
            #expect(a.verdict == nil, "query \(i): \(a.verdict?.explanation ?? "")")
            if a.verdict != nil { break }
        }
        var random = SeededRandom(seed: 3)
        var verdict: Verdict?
        for _ in 0..<600 where verdict == nil {
            let name = random.string("abcdefghijklmnopqrstuvwxyz0123456789", length: 12) + ".cdn.random-example.com"
            verdict = engine.inspect(factory.query(name, gap: 0.5)).verdict
        }
        #expect(verdict?.kind == .tunnel)
        #expect(verdict?.evidence.contains { $0.feature == "name_information_bytes" || $0.feature == "odd_names" } == true)
    }

    /// One client listing 400 storage buckets named from words in five minutes: pronounceable names
    /// count half their length × entropy (what words carry), so this stays under the volume threshold;
    /// with `readable_information_share` 1 (every name counted whole) it is convicted.
    @Test func readableNamesCountHalfTheirInformation() {
        let words = ["backup", "logs", "assets", "media", "reports", "archive", "exports", "images", "cache", "data"]
        func run(_ configuration: DetectionConfiguration) -> Verdict? {
            var engine = DetectionEngine(configuration: configuration)
            var factory = QueryFactory()
            var random = SeededRandom(seed: 8)
            for i in 0..<400 {
                let name = "\(words[Int(random.next() % 10)])-\(words[Int(random.next() % 10)])-\(100 + i)"
                    + ".s3.us-east-1.amazonaws.com"
                for type in [DNSRecordType.a, DNSRecordType.aaaa] {
                    if let v = engine.inspect(factory.query(name, groupLabels: 4, type: type, gap: 0.375)).verdict {
                        return v
                    }
                }
            }
            return nil
        }
        #expect(run(DetectionConfiguration()) == nil)
        var whole = DetectionConfiguration()
        whole.readableInformationShare = 1
        #expect(run(whole)?.kind == .tunnel)
    }

    @Test func sharedEndsAreCountedFromBothSides() {
        func ends(_ name: String) -> NameEnds {
            NameFeatureExtractor().features(of: DNSName(name)!, groupLabels: 2).ends
        }
        let a = ends("host0041.shard.example.com"), b = ends("host0042.shard.example.com")
        // Wire form \u{8}host0041\u{5}shard: 15 bytes; all but the differing digit are shared.
        #expect(b.length == 15)
        #expect(b.sharedBytes(with: a) == 14)
        #expect(b.sharedBytes(with: b) == 15)
        let random1 = ends("q7xk2m9fzt4w.example.com"), random2 = ends("b3nv8rp0yl6c.example.com")
        #expect(random2.sharedBytes(with: random1) <= 1)
        #expect(ends("example.com").sharedBytes(with: a) == 0)
    }

    /// A short odd name counts toward the domain's suspicious names in proportion to its length, so
    /// six 17-byte endpoint ids are not four suspicious names; names of 32 bytes and more count fully.
    @Test func shortSuspiciousNamesCountInProportion() {
        var engine = DetectionEngine()
        var factory = QueryFactory()
        var random = SeededRandom(seed: 21)
        for _ in 0..<6 {
            let name = random.string(base32Alphabet, length: 17) + ".short-ids.example"
            let a = engine.inspect(factory.query(name, gap: 2))
            #expect(a.nameScore >= DetectionConfiguration.default.suspiciousNameScore, "\(name) is not odd enough to test")
            #expect(a.verdict?.kind != .tunnel, "\(a.verdict?.explanation ?? "")")
        }
        var verdict: Verdict?
        var sent = 0
        for _ in 0..<6 where verdict == nil {
            verdict = engine.inspect(factory.query(random.string(base32Alphabet, length: 40) + ".long-ids.example", gap: 2)).verdict
            sent += 1
        }
        #expect(verdict?.kind == .tunnel)
        #expect(sent <= 4)
    }
}
