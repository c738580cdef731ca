import AirlockEvents
import Foundation
import Testing

@testable import AirlockPolicy

/// Threat-intelligence feeds: RPZ, hosts and domain-list files named in the policy.
@Suite struct FeedTests {
    static let rpz = """
        $TTL 300
        $ORIGIN rpz.airlock.test.
        @ IN SOA localhost. admin.localhost. ( 1 3600 600 86400 60 )
          IN NS localhost.
        ; QNAME triggers
        evil.example.com          CNAME .
        *.c2.example.com   300 IN CNAME .
        nodata.example.com        CNAME *.
        good.c2.example.com       CNAME rpz-passthru.
        drop.example.com          CNAME rpz-drop.
        absolute.example.net.     CNAME .
        local.example.com         A 10.0.0.1
        32.1.0.0.127.rpz-ip       CNAME .
        ns.example.rpz-nsdname    CNAME .
        """

    static func directory() throws -> String {
        let dir = NSTemporaryDirectory() + "airlock-feeds-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    static func name(_ text: String) -> DNSName { DNSName(text)! }

    @Test func rpzQnameTriggersWildcardsAndActions() {
        let table = FeedParser.parse(Array(Self.rpz.utf8), id: "dns.feeds[0]", name: "threat", path: "t.rpz", format: .rpz)
        #expect(table.entries == 6)
        #expect(table.skipped == 3)
        #expect(table.skippedExamples.first == "line 12: A local data is not supported (only the CNAME actions)")
        #expect(table.match(Self.name("evil.example.com"))?.action == .nxdomain)
        #expect(table.match(Self.name("evil.example.com"))?.line == 6)
        #expect(table.match(Self.name("www.evil.example.com")) == nil, "a name trigger is that name only")
        let wild = table.match(Self.name("a.b.c2.example.com"))
        #expect(wild?.entry == "*.c2.example.com" && wild?.action == .nxdomain && wild?.line == 7)
        #expect(table.match(Self.name("c2.example.com")) == nil, "a wildcard is for names below it")
        #expect(table.match(Self.name("good.c2.example.com"))?.action == .passthru)
        #expect(table.match(Self.name("nodata.example.com"))?.action == .nodata)
        #expect(table.match(Self.name("drop.example.com"))?.action == .drop)
        #expect(table.match(Self.name("absolute.example.net"))?.action == .nxdomain)
        #expect(table.match(Self.name("EVIL.Example.COM".lowercased()))?.entry == "evil.example.com")
    }

    @Test func hostsAndDomainLists() {
        let hosts = FeedParser.parse(
            Array("# list\n0.0.0.0 ads.example.net tracker.example.net # two\n127.0.0.1 localhost\n:: v6.example.net\n1.2.3.4 pinned.example.net\n".utf8),
            id: "f", name: "hosts", path: "h", format: .hosts)
        #expect(hosts.entries == 3 && hosts.skipped == 1)
        #expect(hosts.match(Self.name("tracker.example.net"))?.line == 2)
        #expect(hosts.match(Self.name("x.ads.example.net")) == nil)
        #expect(hosts.match(Self.name("localhost")) == nil)
        let domains = FeedParser.parse(
            Array("malware.example.org\n\n# comment\n*.phish.example.org  # trailing\ntwo words\n".utf8), id: "f",
            name: "list", path: "d", format: .domains)
        #expect(domains.skipped == 1)
        #expect(domains.match(Self.name("malware.example.org"))?.entry == "malware.example.org")
        #expect(domains.match(Self.name("a.b.malware.example.org"))?.entry == "*.malware.example.org")
        #expect(domains.match(Self.name("phish.example.org"))?.action == .nxdomain)
    }

    /// The policy's own rules come first, then feeds (PASSTHRU in any feed wins), then the default.
    @Test func feedsSitBetweenThePolicysRulesAndItsDefault() throws {
        let dir = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Self.rpz.write(toFile: dir + "/threat.rpz", atomically: true, encoding: .utf8)
        try "c2.example.com\n".write(toFile: dir + "/list.txt", atomically: true, encoding: .utf8)
        try """
            version: 1
            dns:
              default: allow
              allow: [evil.example.com]
              feeds:
                - {path: list.txt, format: domains}
                - {name: threat, path: threat.rpz, format: rpz}
            sandboxes:
              - name: strict
                match: [198.18.2.0/24]
                dns:
                  feeds: [{name: extra, path: list.txt, format: hosts}]
            """.write(toFile: dir + "/policy.yaml", atomically: true, encoding: .utf8)
        let policy = try PolicyLoader.load(path: dir + "/policy.yaml")
        let top = policy.defaults
        #expect(top.decideDNS(name: Self.name("evil.example.com"), qtype: 1).action == .allow, "the policy's own allow rule")
        let blocked = top.decideDNS(name: Self.name("x.c2.example.com"), qtype: 1)
        #expect(blocked.action == .deny(.nxdomain) && blocked.ruleID == "dns.feeds[0]")
        #expect(blocked.reason.contains("matches feed 'list.txt' entry '*.c2.example.com' (NXDOMAIN) at \(dir)/list.txt:1"))
        // good.c2 is under list.txt's wildcard, but the RPZ's PASSTHRU lets it through.
        let passed = top.decideDNS(name: Self.name("good.c2.example.com"), qtype: 1)
        #expect(passed.action == .allow && passed.ruleID == "dns.feeds[1]")
        #expect(top.decideDNS(name: Self.name("nodata.example.com"), qtype: 28).action == .deny(.nodata))
        #expect(top.decideDNS(name: Self.name("www.example.com"), qtype: 1).ruleID == "dns.default")
        let strict = try #require(policy.sandboxes.first)
        #expect(strict.dns.feeds.map(\.id) == ["dns.feeds[0]", "dns.feeds[1]", "sandboxes[0].dns.feeds[0]"])
        #expect(policy.warnings.count == 2, "\(policy.warnings)")  // skipped RPZ lines, hosts lines without an address
    }

    @Test func anUnreadableFeedRefusesThePolicyAtItsEntry() throws {
        let error = #expect(throws: PolicyError.self) {
            try PolicyLoader.load(
                text: "version: 1\ndns:\n  feeds:\n    - {path: /nonexistent/feed.rpz, format: rpz}\n    - {path: x, format: csv}\n",
                name: "p.yaml")
        }
        let lines = error?.diagnostics.map(\.description) ?? []
        #expect(lines.contains("p.yaml:4:7: dns.feeds[0]: cannot read feed /nonexistent/feed.rpz: No such file or directory"), "\(lines)")
        #expect(lines.contains("p.yaml:5:25: dns.feeds[1].format is 'csv'; it must be one of rpz, hosts, domains"), "\(lines)")
    }
}
