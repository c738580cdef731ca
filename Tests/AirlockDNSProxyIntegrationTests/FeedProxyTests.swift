import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Threat feeds in the live proxy: an RPZ file and a domain list block inline (with the feed and entry
/// in the EDE, the decision log and the alert), and an edited feed takes effect on SIGHUP.
extension DNSProxyIntegration {
    @Suite(.serialized, .enabled(if: Lab.enabled(["kdig"], root: false), "needs kdig"))
    struct FeedProxyTests {
        @Test func rpzAndDomainListBlockInlineAndReloadOnSIGHUP() throws {
            let lab = try Lab()
            let port = Lab.freePort()
            _ = try lab.write(
                "threat.rpz",
                "$ORIGIN rpz.test.\n@ SOA localhost. admin.localhost. 1 3600 600 86400 60\n  NS localhost.\n"
                    + "evil.example.com CNAME .\n*.c2.example.net CNAME .\nnodata.example.com CNAME *.\n")
            _ = try lab.write("domains.txt", "malware.example.org\n")
            let policy = try lab.write(
                "policy.yaml",
                """
                version: 1
                mode: enforce
                dns:
                  default: allow
                  upstreams: ["127.0.0.1:9"]
                  timeout_ms: 200
                  attempts: 1
                  feeds:
                    - {name: threat, path: threat.rpz, format: rpz}
                    - {name: malware, path: domains.txt, format: domains}
                alerts:
                  file: {path: "\(lab.path("alerts.jsonl"))"}
                """)
            let airlock = try lab.startAirlock(policy: policy, listen: ["127.0.0.1:\(port)"], extra: ["--alerts", policy])
            func ask(_ name: String) throws -> String {
                try Lab.run("/usr/bin/kdig", ["@127.0.0.1", "-p", "\(port)", "+edns", "+time=2", "+retry=0", name], timeout: 10).stdout
            }
            let evil = try ask("evil.example.com")
            #expect(evil.contains("status: NXDOMAIN"))
            #expect(evil.contains("EDE: 15 (Blocked): 'airlock: dns.feeds[0] feed threat entry 'evil.example.com' (NXDOMAIN) on evil.example.com'"), "\(evil)")
            #expect(try ask("beacon.c2.example.net").contains("entry '*.c2.example.net'"))
            #expect(try ask("nodata.example.com").contains("status: NOERROR"))
            #expect(try ask("x.malware.example.org").contains("feed malware entry '*.malware.example.org'"))
            // Not in any feed: forwarded (the upstream is dead, so SERVFAIL, not a block).
            #expect(try ask("fresh.example.com").contains("status: SERVFAIL"))

            #expect(Lab.waitFor(5) { lab.read("airlock.jsonl").contains("\"feed_entry\":\"evil.example.com\"") })
            #expect(Lab.waitFor(5) { lab.read("alerts.jsonl").contains("evil.example.com") })
            let alert = lab.read("alerts.jsonl").split(separator: "\n").first { $0.contains("evil.example.com") } ?? ""
            #expect(alert.contains("\"rule\":\"dns.feeds[0]\"") && alert.contains("matches feed 'threat' entry 'evil.example.com'"), "\(alert)")

            // The feed is edited: fresh.example.com joins, evil.example.com leaves; SIGHUP reloads both.
            _ = try lab.write("threat.rpz", "$ORIGIN rpz.test.\nfresh.example.com CNAME .\n")
            kill(airlock.processIdentifier, SIGHUP)
            #expect(Lab.waitFor(5) { lab.read("airlock.err").contains("reloaded, now sha256:") })
            #expect(try ask("fresh.example.com").contains("entry 'fresh.example.com'"))
            #expect(try ask("evil.example.com").contains("status: SERVFAIL"))
        }
    }
}
