import AirlockEngine
import AirlockEvents
import AirlockTestSupport
import Testing

/// A resolver search list appends a suffix to every lookup that is tried first: with `search
/// corp.example.com` (or Kubernetes' `ndots:5` and `<ns>.svc.cluster.local`) every external name a
/// client resolves becomes one more distinct NXDOMAIN name under one domain. Hundreds of distinct names
/// and an NXDOMAIN ratio near 1 add up past the tunnel score, but nothing is moving: no odd names, little
/// information. Soft signals alone must not convict.
@Suite struct SearchDomainTests {
    /// Ordinary external host names (what a client behind a search list resolves in a few minutes).
    private static let hosts: [String] = {
        let sites = [
            "google", "youtube", "facebook", "wikipedia", "instagram", "amazon", "reddit", "github", "microsoft",
            "linkedin", "apple", "netflix", "twitter", "bing", "yahoo", "office", "live", "whatsapp",
            "stackoverflow", "zoom", "twitch", "spotify", "ebay", "paypal", "dropbox", "slack", "mozilla",
            "debian", "ubuntu", "cloudflare", "adobe", "salesforce", "nytimes", "theguardian", "duckduckgo",
            "medium", "pinterest", "imdb", "booking", "etsy", "walmart", "python", "npmjs", "docker", "notion",
            "figma", "openai", "discord", "telegram", "weather",
        ]
        let prefixes = ["www", "api", "static", "cdn", "login", "accounts"]
        return sites.flatMap { site in prefixes.prefix(3).map { "\($0).\(site).com" } }
    }()

    private func run(
        _ names: [String], groupLabels: Int, types: [UInt16] = [DNSRecordType.a, DNSRecordType.aaaa],
        localZones: LocalZones = .defaults
    ) -> [Verdict] {
        var engine = DetectionEngine(localZones: localZones)
        var factory = QueryFactory()
        var verdicts: [Verdict] = []
        for name in names {
            for type in types {
                let q = factory.query(name, groupLabels: groupLabels, type: type, gap: 0.5)
                if let v = engine.inspect(q).verdict { verdicts.append(v) }
                let response = DNSResponseEvent(
                    time: q.time, client: q.client, server: q.server, transport: .udp, id: q.id, name: q.name,
                    qtype: q.qtype, domain: q.domain, rcode: DNSResponseCode.nxDomain, answerTypes: [],
                    payloadBytes: 0, addresses: [], minTTL: nil, truncated: false)
                if let v = engine.observe(response) { verdicts.append(v) }
            }
        }
        return verdicts
    }

    @Test func aCorporateSearchSuffixIsNotATunnel() {
        let names = Self.hosts.map { $0 + ".corp.example.com" }
        #expect(names.count == 150)
        let verdicts = run(names, groupLabels: 2)
        #expect(verdicts.isEmpty, "\(verdicts.first?.explanation ?? "")")
    }

    @Test func kubernetesSearchPathsAreNotATunnel() {
        let names = Self.hosts.prefix(100).flatMap { host in
            [".default.svc.cluster.local", ".svc.cluster.local", ".cluster.local"].map { host + $0 }
        }
        let verdicts = run(names, groupLabels: 2)
        #expect(verdicts.isEmpty, "\(verdicts.first?.explanation ?? "")")
    }

    /// The same search-list traffic with data in it (a base32 chunk per name) is still a tunnel.
    @Test func dataBehindASearchSuffixIsStillATunnel() {
        var random = SeededRandom(seed: 17)
        let names = (0..<40).map { _ in random.string(base32Alphabet, length: 52) + ".corp.example.com" }
        let verdicts = run(names, groupLabels: 2, types: [DNSRecordType.txt]).filter { $0.kind == .tunnel }
        #expect(verdicts.first?.isFirst == true)
        #expect((verdicts.first?.queries ?? .max) <= 6)
    }

    /// An Azure node's search suffix has a random label of its own; a Lambda function URL tried under it
    /// first (`<32 chars>.lambda-url.<region>.on.aws.<26 random>.ax.internal.cloudapp.net`) holds more odd
    /// bytes than any digest. It is an expansion of a name asked right after on its own, not a payload.
    @Test func searchListExpansionsOfServiceNamesAreNotSuspicious() {
        var random = SeededRandom(seed: 5)
        let node = random.string(base32Alphabet.lowercased(), length: 26) + ".ax.internal.cloudapp.net"
        let names = (0..<20).map { _ in
            random.string("abcdefghijklmnopqrstuvwxyz0123456789", length: 32) + ".lambda-url.eu-west-1.on.aws." + node
        }
        let verdicts = run(names, groupLabels: 3)
        #expect(verdicts.isEmpty, "\(verdicts.first?.explanation ?? "")")
    }

    /// An on-premises node's search suffix is an ordinary registered domain (`dc1.acme-robotics.com`), and
    /// a pod with `ndots:5` tries every name there first: an ad frame's `<32 hex>.safeframe…` included,
    /// NXDOMAIN, then the name itself, which resolves. Once the bare name resolves the expansion is taken
    /// back; a tunnel shaped like expansions (`<data>.com.<its domain>`) has no bare name that resolves.
    @Test(arguments: [false, true]) func expansionsUnderAPublicSearchSuffixAreTakenBackWhenTheNameResolves(tunnel: Bool) {
        var engine = DetectionEngine()
        var factory = QueryFactory()
        var random = SeededRandom(seed: 11)
        var verdicts: [Verdict] = []
        func answer(_ q: DNSQueryEvent, rcode: UInt16) {
            let response = DNSResponseEvent(
                time: q.time, client: q.client, server: q.server, transport: .udp, id: q.id, name: q.name,
                qtype: q.qtype, domain: q.domain, rcode: rcode, answerTypes: rcode == 0 ? [DNSRecordType.a] : [],
                payloadBytes: rcode == 0 ? 4 : 0, addresses: rcode == 0 ? [.v4(0xC612_0900)] : [],
                minTTL: rcode == 0 ? 60 : nil, truncated: false)
            if let v = engine.observe(response) { verdicts.append(v) }
        }
        for i in 0..<120 {
            // A browsing pod: readable hosts (the ad server's among them) and an ad frame per slot, on the
            // ad server's addresses. The tunnel sends only its names.
            let bare = tunnel
                ? random.string(base32Alphabet, length: 40) + ".com"
                : i % 3 == 0 ? Self.hosts[i % Self.hosts.count]
                : i % 3 == 1 ? "pagead2.googlesyndication.com"
                : random.string(hexAlphabet, length: 32) + ".safeframe.googlesyndication.com"
            // Every other lookup asks A and AAAA (a repeat of each name), as glibc and Go do.
            let types = i % 2 == 0 ? [DNSRecordType.a] : [DNSRecordType.a, DNSRecordType.aaaa]
            for suffix in ["dc1.acme-robotics.com", "acme-robotics.com"] {
                for type in types {
                    let q = factory.query(bare + "." + suffix, groupLabels: 2, type: type, gap: 0.001)
                    if let v = engine.inspect(q).verdict { verdicts.append(v) }
                    answer(q, rcode: DNSResponseCode.nxDomain)
                }
            }
            for type in types {
                let q = factory.query(bare, groupLabels: 2, type: type, gap: 0.001)
                if let v = engine.inspect(q).verdict { verdicts.append(v) }
                answer(q, rcode: tunnel ? DNSResponseCode.nxDomain : DNSResponseCode.noError)
            }
            factory.time = Timestamp(nanoseconds: factory.time.nanoseconds + Int64(random.next() % 20_000) * 1_000_000)
        }
        let convicted = verdicts.filter { $0.kind != .suspiciousName && $0.domain.value == "acme-robotics.com" }
        if tunnel {
            #expect(!convicted.isEmpty, "a tunnel shaped like search-list expansions is still convicted")
        } else {
            #expect(convicted.isEmpty, "\(convicted.first?.explanation ?? "")")
        }
    }

    /// A zone the policy names in `dns.local_zones` (its resolvers' search suffix) is never convicted,
    /// even when what is asked there looks like data; the odd names are still reported one by one.
    @Test func aSearchSuffixThePolicyNamesIsNeverConvicted() {
        var random = SeededRandom(seed: 17)
        let labels = (0..<40).map { _ in
            random.string(base32Alphabet, length: 52) + "." + random.string(base32Alphabet, length: 52)
        }
        let local = run(labels.map { $0 + ".corp.example.com" }, groupLabels: 2, types: [DNSRecordType.txt],
            localZones: .defaults(adding: ["corp.example.com"]))
        #expect(!local.contains { $0.kind != .suspiciousName }, "\(local.first?.explanation ?? "")")
        #expect(local.contains { $0.kind == .suspiciousName })
        let elsewhere = run(labels.map { $0 + ".corp.example.net" },
            groupLabels: 2, types: [DNSRecordType.txt], localZones: .defaults(adding: ["corp.example.com"]))
        #expect(elsewhere.contains { $0.kind == .tunnel })
    }
}

/// Answer payload is the downstream channel only when it comes with new names.
@Suite struct RepeatedAnswerTests {
    /// A mail server without a cache checks SPF for every message: the same four TXT names, answered
    /// with the same ~400 bytes, fifty times in five minutes. That is 80 KB of TXT answers and every
    /// query a rare type, yet nothing new came down.
    @Test func pollingTheSameTXTRecordsIsNotADownload() {
        var engine = DetectionEngine()
        var factory = QueryFactory()
        let names = ["_spf", "_netblocks", "_netblocks2", "_netblocks3"].map { $0 + ".mail-provider.example" }
        for round in 0..<50 {
            for name in names {
                let q = factory.query(name, type: DNSRecordType.txt, gap: 1.5)
                #expect(engine.inspect(q).verdict == nil, "round \(round)")
                let response = DNSResponseEvent(
                    time: q.time, client: q.client, server: q.server, transport: .udp, id: q.id, name: q.name,
                    qtype: q.qtype, domain: q.domain, rcode: 0, answerTypes: [DNSRecordType.txt], payloadBytes: 400,
                    addresses: [], minTTL: 300, truncated: false)
                #expect(engine.observe(response) == nil, "round \(round)")
            }
        }
    }

    /// Sequential short names (nothing odd in them) each answered with a full TXT record: a download
    /// through answers, caught on payload.
    @Test func newNamesWithFullAnswersAreADownload() {
        var engine = DetectionEngine()
        var factory = QueryFactory()
        var verdict: Verdict?
        for i in 0..<200 where verdict == nil {
            let q = factory.query("chunk\(i).stage.example", type: DNSRecordType.txt, gap: 0.5)
            verdict = engine.inspect(q).verdict
            let response = DNSResponseEvent(
                time: q.time, client: q.client, server: q.server, transport: .udp, id: q.id, name: q.name,
                qtype: q.qtype, domain: q.domain, rcode: 0, answerTypes: [DNSRecordType.txt], payloadBytes: 255,
                addresses: [], minTTL: 0, truncated: false)
            verdict = verdict ?? engine.observe(response)
        }
        #expect(verdict?.kind == .tunnel)
        #expect(verdict?.evidence.contains { $0.feature == "response_payload_bytes" } == true)
        #expect((verdict?.queries ?? .max) <= 40)
    }
}
