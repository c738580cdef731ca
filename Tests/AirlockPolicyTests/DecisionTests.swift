import AirlockEvents
import Testing

@testable import AirlockPolicy

/// Matching, precedence, the type filter, sandbox merging and the HTTP/address checks, on one policy.
@Suite struct DecisionTests {
    static let text = """
        version: 1
        mode: enforce
        dns:
          default: allow
          allow:
            - .example.com            # allow[0]
            - api.corp.example        # allow[1]: carve-out below a deny
            - example.org             # allow[2]: exact beats .example.org
            - b.a.example             # allow[3]
            - .tie.example            # allow[4]
            - "*.first.example"       # allow[5]
            - .first.example          # allow[6]
          deny:
            - evil.example.com        # deny[0]
            - .corp.example           # deny[1]
            - .example.org            # deny[2]
            - "*.a.example"           # deny[3]
            - .tie.example            # deny[4]
          allowed_types: [A, AAAA, TXT]
          rebinding:
            allow_private_answers_for: [.corp.internal]
        http:
          default: deny
          allow:
            - {host: api.openai.com, ports: [443]}
            - .github.com
            - 198.18.0.10
            - "[2001:db8::10]"
            - dns.google
          deny:
            - {host: gist.github.com, ports: [443]}
          doh_endpoints: [dns.google, 198.18.0.99]
          allow_private_destinations: [198.18.0.0/24]
        sandboxes:
          - name: agent-1
            match: [198.18.1.0/24, "2001:db8:1::/64"]
            mode: report
            dns:
              default: deny
              block_response: refused
              allow: [.agent.example]
              deny: [api.corp.example]
              allowed_types: all
            http:
              allow: [{host: huggingface.co, ports: [443]}]
          - name: quiet
            match: [198.18.2.0/24]
            mode: open
        """

    static let policy = try! PolicyLoader.load(text: text, name: "p.yaml")
    var top: SandboxPolicy { Self.policy.defaults }

    private func dns(_ name: String, _ qtype: UInt16 = DNSRecordType.a, in sandbox: SandboxPolicy? = nil)
        -> PolicyDecision
    {
        (sandbox ?? top).decideDNS(name: DNSName(name)!, qtype: qtype)
    }

    @Test func warnsOnlyAboutTheDeadTieRule() {
        // The sandbox's own deny of api.corp.example overrides an inherited allow on purpose: no warning.
        #expect(
            Self.policy.warnings.map(\.description) == [
                "p.yaml:10:7: warning: dns.allow[4]: allow rule '.tie.example' never applies: deny rule dns.deny[4] (at 18:7) has the same pattern, and deny wins ties"
            ])
    }

    @Test func labelBoundariesCaseAndTrailingDot() {
        #expect(dns("www.example.com").ruleID == "dns.allow[0]")
        #expect(dns("WWW.Example.COM.").ruleID == "dns.allow[0]")
        #expect(dns("example.com").ruleID == "dns.allow[0]")
        // Not under example.com: falls through to the default.
        #expect(dns("evil-example.com").ruleID == "dns.default")
        #expect(dns("example.com.evil.net").ruleID == "dns.default")
    }

    @Test func mostSpecificRuleWins() {
        // A deny below an allow.
        #expect(dns("evil.example.com").action == .deny(.nxdomain))
        #expect(dns("evil.example.com").ruleID == "dns.deny[0]")
        #expect(dns("x.evil.example.com").ruleID == "dns.allow[0]")  // the deny is exact
        // An allow below a deny (carve-out).
        #expect(dns("api.corp.example").action == .allow)
        #expect(dns("api.corp.example").ruleID == "dns.allow[1]")
        #expect(dns("db.corp.example").ruleID == "dns.deny[1]")
        #expect(dns("corp.example").ruleID == "dns.deny[1]")
        // Same base: exact beats the suffix pattern.
        #expect(dns("example.org").ruleID == "dns.allow[2]")
        #expect(dns("www.example.org").ruleID == "dns.deny[2]")
        // More labels beat fewer, whatever the form.
        #expect(dns("b.a.example").ruleID == "dns.allow[3]")
        #expect(dns("c.b.a.example").ruleID == "dns.deny[3]")
        #expect(dns("a.example").ruleID == "dns.default")  // *.a.example is strictly below
    }

    @Test func tiesGoToDenyThenToTheFirstListed() {
        #expect(dns("x.tie.example").ruleID == "dns.deny[4]")
        #expect(dns("tie.example").action == .deny(.nxdomain))
        #expect(dns("x.first.example").ruleID == "dns.allow[5]")
        #expect(dns("first.example").ruleID == "dns.allow[6]")
    }

    @Test func recordTypeFilterAppliesAfterTheName() {
        let null = dns("www.example.com", DNSRecordType.null)
        #expect(null.action == .deny(.nxdomain))
        #expect(null.ruleID == "dns.allowed_types")
        #expect(null.location?.description == "p.yaml:19:18")
        // A denied name reports the name rule, not the type.
        #expect(dns("evil.example.com", DNSRecordType.null).ruleID == "dns.deny[0]")
        #expect(dns("www.example.com", DNSRecordType.txt).action == .allow)
    }

    @Test func sandboxSelectionByClientAddress() {
        #expect(Self.policy.sandbox(for: IPAddress("198.18.1.77")!).name == "agent-1")
        #expect(Self.policy.sandbox(for: IPAddress("::ffff:198.18.1.77")!).name == "agent-1")
        #expect(Self.policy.sandbox(for: IPAddress("2001:db8:1::9")!).name == "agent-1")
        #expect(Self.policy.sandbox(for: IPAddress("198.18.2.1")!).name == "quiet")
        #expect(Self.policy.sandbox(for: IPAddress("198.18.3.1")!).name == nil)
        #expect(Self.policy.sandbox(for: IPAddress("2001:db8:2::9")!).name == nil)
    }

    @Test func sandboxOverridesMergeOverTheTopLevel() {
        let agent = Self.policy.sandbox(for: IPAddress("198.18.1.5")!)
        // Own rules are appended to the inherited ones...
        #expect(dns("x.agent.example", in: agent).ruleID == "sandboxes[0].dns.allow[0]")
        #expect(dns("www.example.com", in: agent).ruleID == "dns.allow[0]")
        // ...and take part in precedence: the sandbox's exact deny ties the top-level exact allow.
        #expect(dns("api.corp.example", in: agent).ruleID == "sandboxes[0].dns.deny[0]")
        // Settings replace.
        let other = dns("unlisted.example.net", in: agent)
        #expect(other.action == .deny(.refused))
        #expect(other.ruleID == "sandboxes[0].dns.default")
        #expect(dns("www.example.com", DNSRecordType.null, in: agent).action == .allow)  // allowed_types: all
        #expect(other.mode == .report && other.sandbox == "agent-1")
        #expect(agent.decideHTTP(host: "huggingface.co", port: 443).ruleID == "sandboxes[0].http.allow[0]")
        #expect(top.decideHTTP(host: "huggingface.co", port: 443).ruleID == "http.default")
    }

    @Test func modesDecideWhatTheProxyDoes() {
        let enforce = dns("evil.example.com")
        #expect(enforce.blocks && enforce.wouldBlock && enforce.shouldLog)
        let report = dns("evil.example.com", in: Self.policy.sandbox(named: "agent-1"))
        #expect(!report.blocks && report.wouldBlock && report.shouldLog)
        let open = dns("evil.example.com", in: Self.policy.sandbox(named: "quiet"))
        #expect(!open.blocks && open.wouldBlock && !open.shouldLog)
        let allowed = dns("www.example.com")
        #expect(!allowed.blocks && !allowed.wouldBlock && !allowed.shouldLog)
    }

    @Test func canonicalLogLines() {
        #expect(
            dns("evil.example.com").description
                == "deny (nxdomain) [enforce] sandbox (default): A query for 'evil.example.com' matches deny rule 'evil.example.com' (dns.deny[0] at p.yaml:14:7)"
        )
        #expect(
            dns("evil.example.com", in: Self.policy.sandbox(named: "agent-1")).description
                == "would deny (refused) [report] sandbox agent-1: A query for 'evil.example.com' matches deny rule 'evil.example.com' (dns.deny[0] at p.yaml:14:7)"
        )
        #expect(
            dns("www.example.com", DNSRecordType.null).reason
                == "NULL query for 'www.example.com': record type is not in dns.allowed_types at p.yaml:19:18")
        #expect(
            dns("unlisted.net").reason
                == "no allow or deny rule matches A query for 'unlisted.net'; dns.default is allow at p.yaml:4:12")
        #expect(
            top.decideHTTP(host: "unlisted.net", port: 443).description
                == "deny (forbidden) [enforce] sandbox (default): no allow or deny rule matches 'unlisted.net' port 443; http.default is deny at p.yaml:23:12"
        )
        #expect(
            top.decideHTTP(host: "dns.google", port: 443).reason
                == "'dns.google' port 443 is a DNS-over-HTTPS endpoint 'dns.google' (http.doh_endpoints[0] at p.yaml:32:19)"
        )
        #expect(
            top.decideHTTPDestination(address: IPAddress("127.0.0.1")!).reason
                == "destination 127.0.0.1 is a loopback address and no exception in http.allow_private_destinations covers it"
        )
        #expect(dns("www.example.com").pattern == ".example.com")
        #expect(dns("unlisted.net").pattern == nil && dns("unlisted.net").location?.shortDescription == "4:12")
    }

    @Test func httpHostsPortsAndLiterals() {
        #expect(top.decideHTTP(host: "api.openai.com", port: 443).action == .allow)
        #expect(top.decideHTTP(host: "API.OpenAI.com.", port: 443).action == .allow)
        #expect(top.decideHTTP(host: "api.openai.com", port: 80).ruleID == "http.default")  // port-limited rule
        #expect(top.decideHTTP(host: "raw.github.com", port: 22).ruleID == "http.allow[1]")  // any port
        #expect(top.decideHTTP(host: "gist.github.com", port: 443).ruleID == "http.deny[0]")
        #expect(top.decideHTTP(host: "gist.github.com", port: 80).ruleID == "http.allow[1]")
        #expect(top.decideHTTP(host: "198.18.0.10", port: 8080).ruleID == "http.allow[2]")
        #expect(top.decideHTTP(host: "[2001:db8::10]", port: 443).ruleID == "http.allow[3]")
        #expect(top.decideHTTP(host: "2001:db8:0::10", port: 443).ruleID == "http.allow[3]")
        #expect(top.decideHTTP(host: "198.18.0.11", port: 443).ruleID == "http.default")
        // DoH endpoints are refused even when an allow rule lists them.
        #expect(top.decideHTTP(host: "dns.google", port: 443).ruleID == "http.doh_endpoints[0]")
        #expect(top.decideHTTP(host: "198.18.0.99", port: 443).ruleID == "http.doh_endpoints[1]")
        #expect(top.decideHTTP(host: "dns.google", port: 443).action == .deny(.forbidden))
    }

    @Test func httpHostsThatAreNotNamesAreDenied() {
        for host in [
            "evil.com\u{0}.github.com", "a b.github.com", "", ".", "x..github.com", "%65vil.github.com",
            "[198.18.0.10]", "[::1", "github.com:443", "127.1", "0x7f.1", "2130706433", "0177.0.0.1", "010.0.0.1",
            "198.18.0.0x63",
            "b\u{FC}cher.github.com",
            String(repeating: "a", count: 64) + ".github.com",
        ] {
            let decision = top.decideHTTP(host: host, port: 443)
            #expect(decision.action == .deny(.forbidden), "\(host)")
            #expect(decision.ruleID == "http.host", "\(host)")
        }
        #expect(top.decideHTTP(host: "_acme.github.com", port: 443).ruleID == "http.allow[1]")
    }

    @Test func privateDestinationsAndRebinding() {
        let metadata = top.decideHTTPDestination(address: IPAddress("169.254.169.254")!)
        #expect(metadata.action == .deny(.forbidden))
        #expect(metadata.ruleID == "http.allow_private_destinations")
        let allowed = top.decideHTTPDestination(address: IPAddress("198.18.0.7")!)
        #expect(allowed.action == .allow && allowed.ruleID == "http.allow_private_destinations[0]")
        #expect(allowed.pattern == "198.18.0.0/24")
        #expect(top.decideHTTPDestination(address: IPAddress("198.18.1.7")!).action.isDeny)
        #expect(top.decideHTTPDestination(address: IPAddress("::ffff:10.0.0.1")!).action.isDeny)
        #expect(top.decideHTTPDestination(address: IPAddress("93.184.216.34")!).action == .allow)

        let rebind = top.decideDNSAnswer(name: DNSName("www.example.com")!, address: IPAddress("127.0.0.1")!)
        #expect(rebind.action == .deny(.nxdomain))
        #expect(rebind.ruleID == "dns.rebinding.allow_private_answers_for")
        let corp = top.decideDNSAnswer(name: DNSName("git.corp.internal")!, address: IPAddress("10.1.2.3")!)
        #expect(corp.action == .allow && corp.ruleID == "dns.rebinding.allow_private_answers_for[0]")
        #expect(
            top.decideDNSAnswer(name: DNSName("www.example.com")!, address: IPAddress("2606:4700::1")!).action == .allow
        )
        #expect(top.decideDNSAnswer(name: DNSName("www.example.com")!, address: IPAddress("fe80::1")!).action.isDeny)
    }
}
