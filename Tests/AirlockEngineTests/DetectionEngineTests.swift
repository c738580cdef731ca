import AirlockEngine
import AirlockEvents
import AirlockTestSupport
import Testing

@Suite struct DetectionEngineTests {
    @Test func base32TunnelIsCaughtWithinTenQueries() {
        var engine = DetectionEngine()
        var factory = QueryFactory()
        var random = SeededRandom(seed: 1)
        var caughtAt: Int?
        for i in 1...50 {
            let label = random.string(base32Alphabet, length: 57)
            let name = "\(label).\(random.string(base32Alphabet, length: 20)).t.exfil-example.net"
            let assessment = engine.inspect(factory.query(name, type: DNSRecordType.txt))
            if let v = assessment.verdict, v.kind == .tunnel {
                caughtAt = caughtAt ?? i
                if v.isFirst {
                    #expect(v.domain.value == "exfil-example.net")
                    #expect(v.queries == i)
                    #expect(!v.evidence.isEmpty)
                    #expect(v.score >= engine.configuration.tunnelScore)
                }
            }
        }
        #expect(caughtAt != nil && caughtAt! <= 10)
    }

    @Test func hexTunnelWithoutRareTypesIsCaught() {
        var engine = DetectionEngine()
        var factory = QueryFactory()
        var random = SeededRandom(seed: 2)
        var caught = false
        for _ in 1...20 {
            let name = "\(random.string(hexAlphabet, length: 60)).\(random.string(hexAlphabet, length: 30)).cdn-sync.com"
            caught = caught || engine.inspect(factory.query(name)).verdict?.kind == .tunnel
        }
        #expect(caught)
    }

    @Test func caseRandomisationDoesNotChangeFeatures() {
        var engine = DetectionEngine()
        var factory = QueryFactory()
        let lower = engine.inspect(factory.query("2.securedns.avast.com"))
        let mixed = engine.inspect(factory.query("2.SeCURednS.aVasT.CoM"))
        #expect(lower.features == mixed.features)
        #expect(lower.nameScore == mixed.nameScore)
    }

    @Test func ordinaryHostnamesRaiseNothing() {
        var engine = DetectionEngine()
        var factory = QueryFactory()
        let hosts = [
            "www", "mail", "api", "cdn", "static", "login", "accounts", "docs", "support", "files", "img", "m",
            "shop", "news", "blog", "dev", "status", "auth", "smtp", "imap", "vpn", "git", "pkg", "assets",
        ]
        let domains = ["example.com", "github.com", "python.org", "wikipedia.org", "bbc.co.uk", "kernel.org"]
        for round in 0..<20 {
            for domain in domains {
                for host in hosts.shuffled().prefix(8) {
                    let a = engine.inspect(factory.query("\(host).\(domain)", groupLabels: domain == "bbc.co.uk" ? 3 : 2))
                    #expect(a.verdict == nil, "round \(round): \(host).\(domain) → \(a.verdict?.explanation ?? "")")
                }
            }
        }
    }

    @Test func alertIsRaisedOnceThenEveryQueryCarriesTheVerdict() {
        var engine = DetectionEngine()
        var factory = QueryFactory()
        var random = SeededRandom(seed: 3)
        var firsts = 0, carried = 0
        for _ in 1...40 {
            let a = engine.inspect(factory.query("\(random.string(base32Alphabet, length: 50)).tun.example.org"))
            if let v = a.verdict, v.kind == .tunnel {
                if v.isFirst { firsts += 1 } else { carried += 1 }
                #expect(a.domainIsTunnel)
            }
        }
        #expect(firsts == 1)
        #expect(carried > 20)
    }

    @Test func exemptZonesAreNotScored() {
        var engine = DetectionEngine()
        var factory = QueryFactory()
        var random = SeededRandom(seed: 4)
        for _ in 1...50 {
            let a = engine.inspect(factory.query("\(random.string(hexAlphabet, length: 40)).avqs.mcafee.com"))
            #expect(a.verdict == nil)
            #expect(a.exempt)
        }
    }

    @Test func stateStaysBoundedUnderADomainFloodAndTheTunnelIsStillCaught() {
        var configuration = DetectionConfiguration()
        configuration.maxTrackedDomains = 2_000
        var engine = DetectionEngine(configuration: configuration)
        var factory = QueryFactory()
        var random = SeededRandom(seed: 5)
        var caught = false
        for i in 0..<60_000 {
            if i % 1_000 == 0 {
                let a = engine.inspect(factory.query("\(random.string(base32Alphabet, length: 55)).x.tunnel-zone.io", gap: 0.001))
                caught = caught || a.verdict?.kind == .tunnel
            }
            _ = engine.inspect(factory.query("www.\(random.string(base32Alphabet, length: 10)).com", gap: 0.001))
            #expect(engine.trackedDomains <= configuration.maxTrackedDomains)
        }
        #expect(caught)
        #expect(engine.evictedDomains > 50_000)
    }

    @Test func nxdomainAndPayloadFeedTheDomainScore() {
        // The downstream alone: odd-name and first-contact signals (which would convict these random
        // names on their own) are off.
        var configuration = DetectionConfiguration()
        configuration.oddNamesWeight = 0
        configuration.firstContactWeight = 0
        var engine = DetectionEngine(configuration: configuration)
        var factory = QueryFactory()
        var random = SeededRandom(seed: 6)
        var queries: [DNSQueryEvent] = []
        for _ in 1...6 {
            let q = factory.query("\(random.string("abcdefghijklmnop", length: 12)).dl.example.net", type: DNSRecordType.txt)
            _ = engine.inspect(q)
            queries.append(q)
        }
        var verdict: Verdict?
        func answer(_ q: DNSQueryEvent) -> Verdict? {
            let response = DNSResponseEvent(
                time: q.time, client: q.client, server: q.server, transport: .udp, id: q.id, name: q.name, qtype: q.qtype,
                domain: q.domain, rcode: 0, answerTypes: [DNSRecordType.txt], payloadBytes: 4000, addresses: [],
                minTTL: 0, truncated: false)
            return engine.observe(response)
        }
        // The same answer fetched again is not new data: ten copies of one count once.
        for _ in 1...10 { verdict = verdict ?? answer(queries[0]) }
        #expect(verdict == nil)
        for q in queries.dropFirst() { verdict = verdict ?? answer(q) }
        let q = queries[0]
        let key = engine.evidenceKey(domain: q.domain, client: q.client, sandbox: q.sandbox)
        let evidence = engine.evidence(for: key)!.evidence.map(\.feature)
        #expect(evidence.contains("response_payload_bytes"))
        #expect(evidence.contains("rare_type_share"))
        #expect(verdict?.kind == .tunnel)
    }

    @Test func overridesApplyAndUnknownKeysAreReported() {
        var configuration = DetectionConfiguration()
        let unknown = configuration.apply(overrides: ["tunnel_score": 2.5, "no_such_key": 1])
        #expect(configuration.tunnelScore == 2.5)
        #expect(unknown == ["no_such_key"])
    }
}

@Suite struct SlowExfiltrationTests {
    /// One 40-hex-character name every five minutes: a timer (the beacon rule sees it after 11), and
    /// without the beacon rule the long window's suspicious names.
    @Test(arguments: [true, false]) func oneHexNameEveryFiveMinutesIsCaughtByTheLongWindow(beacons: Bool) {
        var configuration = DetectionConfiguration()
        if !beacons { configuration.beaconMinIntervals = 1_000 }
        var engine = DetectionEngine(configuration: configuration)
        var factory = QueryFactory()
        var random = SeededRandom(seed: 7)
        var caughtAt: Int?
        for i in 1...40 {
            let a = engine.inspect(factory.query("\(random.string(hexAlphabet, length: 40)).s.slow-drip.net", gap: 300))
            if a.verdict?.kind == .tunnel, caughtAt == nil {
                caughtAt = i
                #expect(a.verdict!.rule == (beacons ? "dns.tunnel.beacon" : "dns.tunnel.domain_score"))
                if !beacons { #expect(a.verdict!.reasons.contains("suspicious_names_long")) }
            }
        }
        #expect(caughtAt != nil && caughtAt! <= 16)
    }

    @Test func aHostnameRepeatedAllDayIsNot() {
        var engine = DetectionEngine()
        var factory = QueryFactory()
        for i in 0..<2_000 {
            let host = ["www", "api", "cdn", "login", "static"][i % 5]
            #expect(engine.inspect(factory.query("\(host).busy-site.com", gap: 40)).verdict == nil)
        }
    }
}

@Suite struct ClientBehaviourTests {
    /// CDN endpoint names (`word-<16 random>.z01.cdn.example`) look like data, but a client resolves each
    /// one for several record types; a tunnel sends every name once.
    func cdnNames(_ count: Int) -> [String] {
        var random = SeededRandom(seed: 8)
        return (0..<count).map { _ in
            "\(random.string("abcdefghijklmnopqrstuvwxyz", length: 6))-\(random.string(hexAlphabet + "ghijklmnopqrstuvwxyz", length: 16)).z01.cdn-front.net"
        }
    }

    @Test func hostsResolvedForSeveralTypesAreNotATunnel() {
        var engine = DetectionEngine()
        var factory = QueryFactory()
        for name in cdnNames(30) {
            for type in [DNSRecordType.a, DNSRecordType.aaaa, DNSRecordType.https] {
                #expect(engine.inspect(factory.query(name, type: type, gap: 0.5)).verdict == nil)
            }
        }
    }

    @Test func theSameNamesSentOnceEachAreSuspiciousEnough() {
        var engine = DetectionEngine()
        var factory = QueryFactory()
        let verdicts = cdnNames(30).compactMap { engine.inspect(factory.query($0, gap: 0.5)).verdict }
        #expect(verdicts.contains { $0.kind == .tunnel })
    }

    @Test func shortHashNamesNeverRaiseASingleNameAlert() {
        var engine = DetectionEngine()
        var factory = QueryFactory()
        let a = engine.inspect(factory.query("e673c2bbd8c1f6ac5ad2e8b9e6bbd0c1.fp.measure.office.com"))
        #expect(a.nameScore >= DetectionConfiguration.default.singleNameAlertScore)
        #expect(a.verdict == nil)
    }
}

@Suite struct ManyOrdinaryNamesTests {
    /// One client cycling through 150 ordinary names of one domain at a high rate (shards, a benchmark):
    /// repeats beyond the domain's last 16 names are not new information, so this is not a tunnel.
    /// (Before the shared table of recent names, every repeat counted again and this was convicted.)
    @Test func cyclingThroughHundredsOfHostnamesIsNotATunnel() {
        var engine = DetectionEngine()
        var factory = QueryFactory()
        for i in 0..<20_000 {
            let a = engine.inspect(factory.query("host\(i % 150).shard.example-cdn.com", gap: 0.0005))
            #expect(a.verdict == nil, "query \(i): \(a.verdict?.explanation ?? "")")
            if a.verdict != nil { break }
        }
    }
}
