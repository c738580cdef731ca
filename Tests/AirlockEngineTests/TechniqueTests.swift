import AirlockEngine
import AirlockEvents
import AirlockTestSupport
import Testing

/// Answers for engine tests: `rcode`, one record of `payload` bytes with `ttl`.
private func answer(
    _ q: DNSQueryEvent, rcode: UInt16 = 0, ttl: UInt32? = 300, payload: Int = 4, after: Double = 0.03,
    addresses: [IPAddress] = []
) -> DNSResponseEvent {
    DNSResponseEvent(
        time: Timestamp(nanoseconds: q.time.nanoseconds + Int64(after * 1e9)), client: q.client, server: q.server,
        transport: .udp, id: q.id, name: q.name, qtype: q.qtype, domain: q.domain, rcode: rcode,
        answerTypes: rcode == 0 ? [q.qtype] : [], payloadBytes: rcode == 0 ? payload : 0,
        addresses: DNSAnswerAddresses(rcode == 0 ? addresses : []), minTTL: rcode == 0 ? ttl : nil, truncated: false)
}

/// Multi-domain C2 (OilRig/APT34's RogueRobin and DNSpionage, Saitama): one implant rotates short random
/// labels over several lookalike registered domains, so no domain alone gathers much.
@Suite struct CampaignTests {
    static let lookalikes = ["uber-asia.agency", "joexpedia.agency", "asiaworldremit.net", "windows-updates.cc",
                             "msoffice-cdn.org", "office365-cdn.info"]

    @Test func shortLabelsRotatedOverLookalikeDomainsAreOneCampaign() {
        var engine = DetectionEngine()
        var factory = QueryFactory()
        var random = SeededRandom(seed: 41)
        var verdict: Verdict?
        var sent = 0
        while verdict == nil && sent < 120 {
            let domain = Self.lookalikes[sent % Self.lookalikes.count]
            let label = random.string("abcdefghijklmnopqrstuvwxyz0123456789", length: 5 + Int(random.next() % 8))
            let q = factory.query("\(label).\(domain)", type: DNSRecordType.a, gap: 20)
            verdict = engine.inspect(q).verdict
            if verdict == nil { verdict = engine.observe(answer(q, ttl: 60)) }
            sent += 1
        }
        let v = try! #require(verdict)
        #expect(v.kind == .tunnel)
        #expect(v.rule == "dns.tunnel.campaign")
        #expect(v.members.count >= 2)
        #expect(v.explanation.contains("campaign of"))
        // Well before the published one-line rule's "8 names per domain per hour" for any one domain.
        #expect(sent <= 6 * 8, "caught after \(sent)")
        // Every member is convicted for every client.
        factory.client = Endpoint(address: .v4(0xC612_0199), port: 5353)
        for member in v.members {
            let other = engine.inspect(factory.query("www.\(member.value)"))
            #expect(other.domainIsTunnel, "\(member.value)")
        }
    }

    /// The same client browsing ordinary sites, each with a few readable hosts and an odd CDN id resolved
    /// as a host (A then AAAA), makes no campaign.
    @Test func browsingManyNewSitesIsNotACampaign() {
        var engine = DetectionEngine()
        var factory = QueryFactory()
        var random = SeededRandom(seed: 43)
        for site in 0..<300 {
            let domain = "site\(site)-news.com"
            for host in ["www", "static", "img", random.string(hexAlphabet, length: 12)] {
                for type in [DNSRecordType.a, DNSRecordType.aaaa] {
                    let q = factory.query("\(host).\(domain)", type: type, gap: 0.3)
                    let a = engine.inspect(q)
                    #expect(a.verdict?.kind != .tunnel, "\(a.verdict?.explanation ?? "")")
                    _ = engine.observe(answer(q))
                }
            }
        }
    }

    /// Exfiltration split over 40 registered domains, ~1 KB each in 48-character base32 chunks.
    @Test func exfiltrationSplitOverFortyDomainsIsCaughtBeforeAKilobyte() {
        var engine = DetectionEngine()
        var factory = QueryFactory()
        var random = SeededRandom(seed: 44)
        var payload = 0
        var verdict: Verdict?
        var i = 0
        while verdict == nil && i < 800 {
            let chunk = random.string(base32Alphabet, length: 48)
            let q = factory.query("\(chunk).drop\(i % 40)-files.com", type: DNSRecordType.a, gap: 1.5)
            verdict = engine.inspect(q).verdict
            payload += 30
            i += 1
        }
        #expect(verdict?.kind == .tunnel)
        #expect(payload < 1024, "\(payload) bytes before \(verdict?.explanation ?? "no verdict")")
    }

    /// A made-up top-level domain per query, sent straight to the server: every name is "its own
    /// domain", so only the server ties them together.
    @Test func aMadeUpSuffixPerQueryIsGroupedByTheServer() {
        var engine = DetectionEngine()
        var factory = QueryFactory()
        var random = SeededRandom(seed: 45)
        var verdict: Verdict?
        var sent = 0
        while verdict == nil && sent < 100 {
            let name = random.string(base32Alphabet, length: 40) + "." + random.string("abcdefghijklmnopqrstuvwxyz", length: 3)
            let parsed = DNSName(name)!
            var q = factory.query(name)
            q.domain = DomainKey(value: parsed.suffix(labels: 2).description, kind: .unlistedSuffix, labelCount: 2)
            verdict = engine.inspect(q).verdict
            sent += 1
        }
        let v = try! #require(verdict)
        #expect(v.rule == "dns.tunnel.campaign")
        #expect(v.members.first?.kind == .serverAddress)
        #expect(sent <= 8)
    }
}

/// Beacons: check-ins on a timer with jitter, each reaching the server.
@Suite struct BeaconTests {
    private func beacon(ttl: UInt32, jitter: Double, name: (inout SeededRandom) -> String) -> (Verdict?, Int) {
        var engine = DetectionEngine()
        var factory = QueryFactory()
        var random = SeededRandom(seed: 51)
        for i in 1...60 {
            let spread = (Double(random.next() % 1000) / 1000 - 0.5) * 2 * jitter
            let q = factory.query(name(&random), type: DNSRecordType.a, gap: 60 * (1 + spread))
            if let v = engine.inspect(q).verdict, v.kind == .tunnel { return (v, i) }
            if let v = engine.observe(answer(q, ttl: ttl)), v.kind == .tunnel { return (v, i) }
        }
        return (nil, 60)
    }

    @Test func cobaltStrikeStyleCheckInsWithOneSecondTTLsAreABeacon() {
        let (verdict, at) = beacon(ttl: 1, jitter: 0.2) { _ in "6f2a91c3.cdn-telemetry.net" }
        #expect(verdict?.rule == "dns.tunnel.beacon", "\(verdict?.explanation ?? "none")")
        #expect(at <= 16)
    }

    @Test func checkInsWithNewIdsEachTimeAreABeacon() {
        let (verdict, _) = beacon(ttl: 300, jitter: 0.3) { "\($0.string(hexAlphabet, length: 8)).cdn-telemetry.net" }
        #expect(verdict?.kind == .tunnel, "\(verdict?.explanation ?? "none")")
    }

    /// A monitoring agent's heartbeat to its workspace (`<guid>.ods.opinsights.azure.com`) every minute:
    /// the same name, answered with a cacheable TTL. The resolver's cache would answer it: no channel.
    @Test func aHeartbeatToACacheableNameIsNotABeacon() {
        let (verdict, _) = beacon(ttl: 300, jitter: 0.05) { _ in "0f8fad5b-d9cb-469f-a165-70867728950e.ods.opinsights.azure.com" }
        #expect(verdict == nil, "\(verdict?.explanation ?? "")")
    }
}

/// Handshakes: a real tool's first queries, before any data flows.
@Suite struct FirstContactTests {
    /// iodine's opening: version, login, IP and codec probes with short labels, NULL records, TTL 0.
    @Test func iodineLikeProbesConvictWithinTheHandshake() {
        var engine = DetectionEngine()
        var factory = QueryFactory()
        var random = SeededRandom(seed: 61)
        var verdictAt: Int?
        for i in 1...30 where verdictAt == nil {
            let label = ["v", "l", "i", "z", "r", "o", "y"][i % 7] + random.string(base32Alphabet, length: 6 + i % 5)
            let q = factory.query("\(label).t1.fresh-zone.com", groupLabels: 2, type: 10 /* NULL */, gap: 0.4)
            if engine.inspect(q).verdict?.kind == .tunnel { verdictAt = i; break }
            if engine.observe(answer(q, ttl: 0, payload: 20))?.kind == .tunnel { verdictAt = i }
        }
        #expect(verdictAt != nil && verdictAt! <= 12, "\(String(describing: verdictAt))")
    }

    /// A new site's first lookups: readable hosts, A and AAAA, cacheable answers.
    @Test func aNewSitesFirstLookupsAreNot() {
        var engine = DetectionEngine()
        var factory = QueryFactory()
        for host in ["www", "api", "static", "cdn", "login", "assets", "media", "img"] {
            for type in [DNSRecordType.a, DNSRecordType.aaaa] {
                let q = factory.query("\(host).fresh-site.com", type: type, gap: 0.2)
                #expect(engine.inspect(q).verdict == nil)
                #expect(engine.observe(answer(q, ttl: 0)) == nil)
            }
        }
    }
}

/// Zones no outside server answers for, and names that are addresses rather than payloads.
@Suite struct LocalZoneAndDigestTests {
    /// A busy agent pod: every external name first tried under four search suffixes, NXDOMAIN.
    @Test func kubernetesSearchExpansionIsNeverConvicted() {
        var engine = DetectionEngine()
        var factory = QueryFactory()
        var random = SeededRandom(seed: 71)
        let suffixes = ["agents.svc.cluster.local", "svc.cluster.local", "cluster.local", "us-east-1.compute.internal"]
        for i in 0..<3_000 {
            // Readable and odd external names alike (package CDNs, object ids).
            let host = i % 3 == 0
                ? "\(random.string(hexAlphabet, length: 16)).files.example-cdn.com" : "pkg\(i).registry.example.org"
            for suffix in suffixes {
                let name = "\(host).\(suffix)"
                let labels = suffix.hasSuffix("internal") ? 1 : 2
                let q = factory.query(name, groupLabels: labels, type: DNSRecordType.a, gap: 0.1)
                let a = engine.inspect(q)
                #expect(a.verdict?.kind != .tunnel, "\(a.verdict?.explanation ?? "")")
                #expect(engine.observe(answer(q, rcode: DNSResponseCode.nxDomain)) == nil)
                if a.verdict?.kind == .tunnel { return }
            }
        }
    }

    /// Data sent into `cluster.local` can't leave through a resolver: reported, never convicted.
    @Test func oddNamesInALocalZoneAreReportedNotConvicted() {
        var engine = DetectionEngine()
        var factory = QueryFactory()
        var random = SeededRandom(seed: 72)
        var reported = false
        for _ in 0..<50 {
            let a = engine.inspect(factory.query(
                "\(random.string(base32Alphabet, length: 63)).\(random.string(base32Alphabet, length: 30)).svc.cluster.local",
                groupLabels: 2))
            #expect(a.verdict?.kind != .tunnel)
            if a.verdict?.kind == .suspiciousName { reported = true }
        }
        #expect(reported)
    }

    @Test(arguments: [
        "0f8fad5b-d9cb-469f-a165-70867728950e.ods.opinsights.azure.com",
        "abcdefghijklmnopqrstuvwxyz234567.lambda-url.us-east-1.on.aws",
        "cdk-hnb659fds-assets-123456789012-us-east-1.s3.us-east-1.amazonaws.com",
    ])
    func oneServiceIdIsNotAnIncident(_ name: String) {
        var engine = DetectionEngine()
        var factory = QueryFactory()
        let a = engine.inspect(factory.query(name))
        #expect(a.verdict == nil, "\(a.verdict?.explanation ?? "")")
    }

    @Test func onePayloadSizedNameIsAnIncident() {
        var engine = DetectionEngine()
        var factory = QueryFactory()
        var random = SeededRandom(seed: 73)
        let name = random.string(base32Alphabet, length: 63) + "." + random.string(base32Alphabet, length: 20) + ".x.exfil-zone.net"
        #expect(engine.inspect(factory.query(name)).verdict?.kind == .suspiciousName)
    }

    @Test func spamhausHashLookupsAreExempt() {
        var engine = DetectionEngine()
        var factory = QueryFactory()
        var random = SeededRandom(seed: 74)
        for _ in 0..<200 {
            let q = factory.query("\(random.string(base32Alphabet, length: 52))._file.dqskey123.hbl.dq.spamhaus.net", type: DNSRecordType.a)
            let a = engine.inspect(q)
            #expect(a.exempt && a.verdict == nil)
        }
    }
}

/// Identifiers a service hands its clients (an ad slot's frame, a CDN object) look like data, but they
/// resolve to the service's own front ends.
@Suite struct ServiceIdentifierTests {
    private func adDay(frameAddress: IPAddress) -> Verdict? {
        var engine = DetectionEngine()
        var factory = QueryFactory()
        var random = SeededRandom(seed: 81)
        let frontEnds: [IPAddress] = [.v4(0xC612_3801), .v4(0xC612_3802)]
        for page in 0..<40 {
            // The page's readable ad host, then a frame per slot, asked with A only (an IPv4-only pod).
            let host = factory.query("pagead2.ads-network.com", gap: 30)
            _ = engine.inspect(host)
            _ = engine.observe(answer(host, addresses: frontEnds))
            for _ in 0..<(page % 4 + 2) {
                let q = factory.query("\(random.string(hexAlphabet, length: 32)).safeframe.ads-network.com", gap: 0.4)
                if let v = engine.inspect(q).verdict, v.kind == .tunnel { return v }
                if let v = engine.observe(answer(q, addresses: [frameAddress])), v.kind == .tunnel { return v }
            }
        }
        return nil
    }

    @Test func adFramesServedFromTheServicesFrontEndsAreNotATunnel() {
        let verdict = adDay(frameAddress: .v4(0xC612_3802))
        #expect(verdict == nil, "\(verdict?.explanation ?? "")")
    }

    /// The same names answered from an address no readable host uses: a server of its own, taking data.
    @Test func theSameNamesAnsweredFromElsewhereAreConvicted() {
        #expect(adDay(frameAddress: .v4(0xC613_0909))?.kind == .tunnel)
    }

    /// A domain many sandboxes use is a shared service: it never joins a client's campaign.
    @Test func aDomainManyClientsAskForNeverJoinsACampaign() {
        var engine = DetectionEngine()
        var factory = QueryFactory()
        var random = SeededRandom(seed: 82)
        for client in 0..<6 {
            factory.client = Endpoint(address: .v4(0xC612_0200 + UInt32(client)), port: 4000)
            _ = engine.inspect(factory.query("\(random.string(base32Alphabet, length: 26)).lambda-url.example-cloud.com"))
        }
        factory.client = Endpoint(address: .v4(0xC612_0200), port: 4000)
        var verdicts: [Verdict] = []
        for i in 0..<12 {
            let domain = i % 2 == 0 ? "example-cloud.com" : "other-service.net"
            let q = factory.query("\(random.string(base32Alphabet, length: 26)).fn.\(domain)", gap: 20)
            if let v = engine.inspect(q).verdict { verdicts.append(v) }
        }
        #expect(!verdicts.contains { $0.rule == "dns.tunnel.campaign" && $0.members.contains { $0.value == "example-cloud.com" } }, "\(verdicts.map(\.explanation))")
    }
}
