import AirlockDigest
import AirlockEvents
import Foundation
import Testing

@testable import AirlockPolicy

@Suite struct PolicyLoaderTests {
    private func load(_ file: String) throws -> Policy {
        try PolicyLoader.load(path: TestData.path("good", file), knownDetectionKeys: TestData.detectionKeys)
    }

    @Test func minimalPolicyGetsDocumentedDefaults() throws {
        let policy = try load("minimal.yaml")
        let top = policy.defaults
        #expect(policy.schemaVersion == 1)
        #expect(policy.sandboxes.isEmpty && policy.detection.isEmpty && policy.warnings.isEmpty)
        #expect(top.name == nil && top.mode == .enforce)
        #expect(top.dns.defaultAction == .allow && top.dns.blockResponse == .nxdomain)
        #expect(top.dns.allowedTypes == DNSPolicy.defaultAllowedTypes)
        #expect(
            !top.dns.allowedTypes!.contains(DNSRecordType.null) && !top.dns.allowedTypes!.contains(DNSRecordType.any))
        #expect(top.dns.quarantineSeconds == 600)
        #expect(top.dns.leakBudget == Budget(bytes: 4096, windowSeconds: 300))
        #expect(top.dns.upstreams.isEmpty && top.dns.timeoutMilliseconds == 2000 && top.dns.attempts == 2)
        #expect(top.http.defaultAction == .deny)
        #expect(top.http.uploadBudget == Budget(bytes: 10_485_760, windowSeconds: 300))
        #expect(top.http.informationBudget == Budget(bytes: 32_768, windowSeconds: 300))
        #expect(top.dns.defaultOrigin == SettingOrigin(id: "dns.default", location: nil))
    }

    @Test func versionIsTheHashOfTheFileBytes() throws {
        let path = TestData.path("good", "minimal.yaml")
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let policy = try load("minimal.yaml")
        #expect(policy.version == SHA256.hexDigest(of: bytes))
        #expect(policy.version.count == 64)
        // One more space is another policy version.
        let other = try PolicyLoader.load(text: "version:  1\n", name: "m.yaml")
        #expect(other.version != policy.version)
    }

    @Test func fullPolicyReadsEveryKey() throws {
        let policy = try load("full.yaml")
        let top = policy.defaults
        #expect(top.mode == .report)
        #expect(top.modeOrigin.location?.shortDescription == "3:7")
        #expect(top.dns.defaultAction == .deny && top.dns.blockResponse == .refused)
        #expect(
            top.dns.rules.rules.map(\.description) == [
                "example.com", "*.pypi.org", ".github.com", "mixed.case.example", "evil.github.com",
            ])
        #expect(
            top.dns.rules.rules.map(\.id) == [
                "dns.allow[0]", "dns.allow[1]", "dns.allow[2]", "dns.allow[3]", "dns.deny[0]",
            ])
        #expect(top.dns.allowedTypes == [1, 28, 5, 65])
        #expect(top.dns.quarantineSeconds == 0)
        #expect(top.dns.leakBudget == Budget(bytes: 2048, windowSeconds: 60))
        #expect(top.dns.privateAnswersAllowed.rules.map(\.description) == [".corp.internal"])
        #expect(policy.localZones == ["corp.example.com", "svc.example"])
        #expect(
            top.dns.upstreams.map(\.description) == [
                "198.18.0.53:53", "198.18.0.54:5353", "[2001:db8::53]:53", "[2001:db8::54]:5353",
            ])
        #expect(top.dns.timeoutMilliseconds == 1500 && top.dns.attempts == 3)
        #expect(policy.detection["tunnel_score"]?.value == 0.75)
        #expect(policy.detection["tunnel_score"]?.location.shortDescription == "20:17")
        #expect(policy.detection["entropy_threshold"]?.value == 4)
        #expect(top.http.defaultAction == .allow)
        #expect(
            top.http.rules.rules.map(\.description) == [
                "api.openai.com ports 443,8443", ".pythonhosted.org", "198.18.0.10", "2001:db8::10",
                "*.example.net ports 80",
            ])
        #expect(top.http.dohEndpoints.rules.map(\.description) == ["doh.example.net", "198.18.0.99"])
        #expect(top.http.allowPrivateDestinations.map(\.cidr.description) == ["10.0.0.0/8", "fd00::/8"])
        #expect(top.http.uploadBudget == Budget(bytes: 1_048_576, windowSeconds: 60))
        #expect(top.http.informationBudget == Budget(bytes: 20_000, windowSeconds: 120))

        #expect(policy.sandboxes.map(\.name) == ["agent-1", "007"])
        let agent = try #require(policy.sandbox(named: "agent-1"))
        #expect(agent.sandboxID == SandboxID("agent-1"))
        #expect(agent.mode == .enforce)
        #expect(agent.dns.defaultAction == .allow)
        #expect(agent.dns.defaultOrigin.id == "sandboxes[0].dns.default")
        #expect(agent.dns.blockResponse == .refused)  // inherited
        #expect(agent.dns.allowedTypes == nil)  // `all`
        #expect(agent.dns.leakBudget == Budget(bytes: 2048, windowSeconds: 600))  // merged field by field
        #expect(agent.dns.rules.rules.last?.id == "sandboxes[0].dns.allow[0]")
        #expect(agent.dns.rules.rules.count == 6)
        #expect(agent.http.rules.rules.last?.id == "sandboxes[0].http.deny[0]")
        let bond = try #require(policy.sandbox(named: "007"))
        #expect(bond.mode == .report)  // inherited from the top level
        #expect(bond.match.map(\.cidr.description) == ["198.18.2.7/32"])
    }

    @Test func warningsDoNotFailTheLoad() throws {
        let policy = try load("warnings.yaml")
        let path = TestData.path("good", "warnings.yaml")
        #expect(
            policy.warnings.map(\.description) == [
                "\(path):5:7: warning: dns.allow[1]: allow rule '.github.com' never applies: deny rule dns.deny[0] (at 8:7) has the same pattern, and deny wins ties",
                "\(path):6:7: warning: dns.allow[2]: 'example.com' is listed twice (first at 4:7)",
                "\(path):11:7: warning: http.allow[0]: allow rule 'api.example.com ports 443' never applies: deny rule http.deny[0] (at 14:7) has the same pattern, and deny wins ties",
                "\(path):19:15: warning: sandboxes[0].dns.allow[0]: '.github.com' is listed twice (first at 5:7)",
                "\(path):19:15: warning: sandboxes[0].dns.allow[0]: allow rule '.github.com' never applies: deny rule dns.deny[0] (at 8:7) has the same pattern, and deny wins ties",
            ])
        let result = PolicyChecker.check(path: path)
        #expect(result.ok)
        #expect(result.output.hasSuffix("\(path): 5 warnings\n"))
    }

    @Test func exampleFileIsValid() throws {
        let path = TestData.repositoryRoot.appendingPathComponent("Deploy/policy.example.yaml").path
        let policy = try PolicyLoader.load(path: path)
        #expect(policy.warnings.isEmpty)
        #expect(policy.sandboxes.map(\.name) == ["agent-1", "build-runner"])
        let runner = policy.sandbox(for: IPAddress("198.18.2.9")!)
        #expect(runner.name == "build-runner")
        #expect(runner.dns.leakBudget == Budget(bytes: 1024, windowSeconds: 300))
        #expect(
            runner.decideDNS(name: DNSName("example.com")!, qtype: DNSRecordType.a).ruleID == "sandboxes[1].dns.default"
        )
        #expect(runner.decideDNS(name: DNSName("registry.npmjs.org")!, qtype: DNSRecordType.a).action == .allow)
        #expect(
            runner.decideDNS(name: DNSName("registry.npmjs.org")!, qtype: DNSRecordType.txt).ruleID
                == "sandboxes[1].dns.allowed_types")

        let check = PolicyChecker.check(path: path)
        #expect(check.ok)
        #expect(!check.output.contains("warning"), "\(check.output)")
        #expect(
            check.output.hasPrefix("\(path): OK, policy version sha256:\(policy.version)\n  top level: mode enforce\n"))
        #expect(check.output.contains("  sandbox agent-1 (198.18.1.0/24, 2001:db8:1::/64): mode report\n"))
        #expect(
            check.output.contains(
                "    dns:  default deny, 6 allow / 6 deny rules, blocked names get nxdomain; types A CNAME AAAA HTTPS\n"
            ))
    }

    @Test func checkerSummaryIsStable() throws {
        let policy = try PolicyLoader.load(text: "version: 1\n", name: "p.yaml")
        #expect(
            PolicyChecker.summary(policy) == """
                p.yaml: OK, policy version sha256:\(policy.version)
                  top level: mode enforce
                    dns:  default allow, 0 allow / 0 deny rules, blocked names get nxdomain; types A NS CNAME SOA PTR MX TXT AAAA SRV SVCB HTTPS CAA
                          quarantine 600 s, leak budget 4096 bytes per 300 s, 0 rebinding exceptions; upstreams from the proxy (timeout 2000 ms, 2 attempts)
                    http: default deny, 0 allow / 0 deny rules, 0 extra DoH endpoints, 0 private destinations, upload budget 10485760 bytes per 300 s, information budget 32768 bytes per 300 s

                """)
    }
}

@Suite struct EngineDetectionKeyTests {
    @Test func engineKeysAreAccepted() throws {
        #expect(PolicyLoader.engineDetectionKeys.contains("tunnel_score"))
        let policy = try PolicyLoader.load(
            text: "version: 1\ndetection:\n  tunnel_score: 0.9\n", name: "p.yaml",
            knownDetectionKeys: PolicyLoader.engineDetectionKeys)
        #expect(policy.detection["tunnel_score"]?.value == 0.9)
    }
}
