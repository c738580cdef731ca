import Foundation
import Testing

/// `airlock serve` between dig/kdig and NSD: every block carries an Extended DNS Error (RFC 8914)
/// that both tools print, naming the rule, so a block is never mistaken for the zone's NXDOMAIN.
extension DNSProxyIntegration {
    @Suite(.serialized, .enabled(if: Lab.enabled(["nsd", "dig", "kdig"], root: false), "needs nsd, dig, kdig"))
    struct ExtendedErrorProxyTests {
        @Test func digAndKdigShowWhyAnAnswerWasBlocked() throws {
            let lab = try Lab()
            let nsdPort = Lab.freePort()
            let port = Lab.freePort()
            try lab.startNSD("127.0.0.1@\(nsdPort)", zones: [("example.com", exampleZone)])
            #expect(
                Lab.waitFor(5) {
                    (try? Lab.dig(["@127.0.0.1", "-p", "\(nsdPort)", "+short", "www.example.com"]))?.stdout.contains(
                        "93.184") == true
                })
            let policy = try lab.write(
                "policy.yaml",
                """
                version: 1
                mode: enforce
                dns:
                  default: allow
                  deny: [evil.example.com]
                  allowed_types: [A, AAAA, MX, TXT, NS, SOA]
                  quarantine_seconds: 600
                  upstreams: ["127.0.0.1:\(nsdPort)"]
                """)
            try lab.startAirlock(policy: policy, listen: ["127.0.0.1:\(port)"])
            let server = ["@127.0.0.1", "-p", "\(port)"]

            // kdig (asked with EDNS: it sends none by default, and an answer may carry OPT only then): `;; EDE: 15 (Blocked): 'airlock: …'`.
            let kdig = try Lab.run("/usr/bin/kdig", server + ["+edns", "+time=3", "+retry=0", "evil.example.com"], timeout: 10)
            #expect(kdig.stdout.contains("status: NXDOMAIN"), "\(kdig.stdout)")
            #expect(kdig.stdout.contains("EDE: 15 (Blocked): 'airlock: dns.deny[0] 'evil.example.com' on evil.example.com'"), "\(kdig.stdout)")
            // dig: `; EDE: 15 (Blocked): (airlock: …)`.
            let dig = try Lab.dig(server + ["evil.example.com"])
            #expect(dig.stdout.contains("EDE: 15 (Blocked): (airlock: dns.deny[0] 'evil.example.com' on evil.example.com)"), "\(dig.stdout)")
            let type = try Lab.run("/usr/bin/kdig", server + ["+edns", "+time=3", "+retry=0", "www.example.com", "KEY"], timeout: 10)
            #expect(type.stdout.contains("EDE: 18 (Prohibited): 'airlock: dns.allowed_types KEY not allowed on www.example.com'"), "\(type.stdout)")
            let rebinding = try Lab.dig(server + ["metadata.example.com"])
            #expect(rebinding.stdout.contains("EDE: 17 (Filtered): (airlock: dns.rebinding"), "\(rebinding.stdout)")
            // A real NXDOMAIN from the zone carries none.
            let real = try Lab.run("/usr/bin/kdig", server + ["+edns", "+time=3", "+retry=0", "nothing-here.example.com"], timeout: 10)
            #expect(real.stdout.contains("status: NXDOMAIN") && !real.stdout.contains("EDE"), "\(real.stdout)")

            // A tunnel (random base32 TXT names, one kdig run): once quarantined, even www is refused
            // with the verdict named.
            var labels: [String] = []
            var state: UInt64 = 0x9E37_79B9_7F4A_7C15
            for _ in 0..<30 {
                var label = ""
                for _ in 0..<50 {
                    state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                    label.append(Array("abcdefghijklmnopqrstuvwxyz234567")[Int(state >> 59)])
                }
                labels.append("\(label).t.example.com")
            }
            _ = try Lab.run("/usr/bin/kdig", server + ["+time=2", "+retry=0"] + labels.flatMap { [$0, "TXT"] }, timeout: 60)
            let quarantined = try Lab.run("/usr/bin/kdig", server + ["+edns", "+time=3", "+retry=0", "www.example.com"], timeout: 10)
            #expect(
                quarantined.stdout.contains("EDE: 15 (Blocked): 'airlock: dns.quarantine_seconds tunnel verdict on example.com'"),
                "\(quarantined.stdout)")
        }
    }
}
