import AirlockDNSProxy
import AirlockDNSWire
import AirlockEnforcement
import AirlockEngine
import AirlockEvents
import AirlockPolicy
import Testing

@Suite struct PolicyActionTests {
    @Test func denyRuleAnswersNXDOMAINOrREFUSEDAndSaysWhy() throws {
        var h = try CoreHarness(policy: basicPolicy)
        let blocked = h.query("evil.example.com", id: 0x0909)
        let message = try #require(blocked.message)
        #expect(message.rcode == DNSResponseCode.nxDomain)
        #expect(message.id == 0x0909)
        let record = try #require(h.records.last)
        #expect(record.action == .block)
        #expect(record.rule == "dns.deny[0]")
        #expect(record.basis?.reason.contains("test.yaml:5") == true)

        var refused = try CoreHarness(
            policy: basicPolicy.replacing("default: allow", with: "default: allow\n  block_response: refused"))
        #expect(refused.query("evil.example.com").message?.rcode == DNSResponseCode.refused)
    }

    @Test func recordTypesOutsideTheAllowListAreBlocked() throws {
        var h = try CoreHarness(policy: basicPolicy)
        #expect(h.query("x.example.com", type: DNSRecordType.null).message?.rcode == DNSResponseCode.nxDomain)
        #expect(h.records.last?.rule == "dns.allowed_types")
        #expect(h.query("x.example.com", type: DNSRecordType.aaaa).forwarded != nil)
    }

    @Test func reportModeForwardsAndLogsWouldBlock() throws {
        var h = try CoreHarness(policy: basicPolicy.replacing("mode: enforce", with: "mode: report"))
        #expect(h.query("evil.example.com").forwarded != nil)
        let record = try #require(h.records.last)
        #expect(record.action == .wouldBlock)
        #expect(record.rule == "dns.deny[0]")
        #expect(h.core.stats.wouldBlock == 1 && h.core.stats.blocked == 0)
    }

    @Test func sandboxesAreChosenByClientAddress() throws {
        let policy =
            basicPolicy + """

                sandboxes:
                  - name: builder
                    match: [198.18.2.0/24]
                    dns:
                      default: deny
                      allow: [.npmjs.org]
                """
        var h = try CoreHarness(policy: policy)
        let builder = CoreHarness.client("198.18.2.7")
        #expect(h.query("www.example.com", client: builder).message?.rcode == DNSResponseCode.nxDomain)
        #expect(h.records.last?.sandbox == "builder")
        #expect(h.query("registry.npmjs.org", client: builder).forwarded != nil)
        #expect(h.query("www.example.com").forwarded != nil)
        #expect(h.records.last?.sandbox == nil)
    }

    /// A tunnel's first verdict quarantines its registered domain: every later query to it is refused,
    /// even ordinary-looking ones, and the alert is raised once. Other domains are untouched.
    @Test func tunnelVerdictQuarantinesTheDomainAndAlertsOnce() throws {
        var h = try CoreHarness(policy: basicPolicy)
        var labels = LabelGenerator()
        var blockedAt: Int?
        var forwardedBytes = 0
        for i in 1...40 {
            let name = "\(labels.base32(50)).t.tunnel-zone.com"
            let action = h.query(name, type: DNSRecordType.txt)
            if let forward = action.forwarded {
                forwardedBytes += name.utf8.count
                _ = h.answer(forward, [.txt(200)])
            } else if action.message?.rcode == DNSResponseCode.nxDomain, blockedAt == nil {
                blockedAt = i
            }
        }
        let firstBlock = try #require(blockedAt)
        #expect(firstBlock <= 10)
        #expect(forwardedBytes < 10 * 60)
        // Ordinary names in the quarantined domain are refused too; other domains are not.
        #expect(h.query("www.tunnel-zone.com").message?.rcode == DNSResponseCode.nxDomain)
        #expect(h.records.last?.rule == "dns.quarantine_seconds")
        #expect(h.query("www.example.com").forwarded != nil)
    }

    @Test func quarantineRaisesExactlyOneTunnelAlertAndEndsWhenEvidenceHasFaded() throws {
        var h = try CoreHarness(policy: basicPolicy)
        var labels = LabelGenerator()
        var alerts = 0
        for _ in 0..<30 {
            if let forward = h.query("\(labels.base32(50)).t.tunnel-zone.com", type: DNSRecordType.txt).forwarded {
                _ = h.answer(forward, [.txt(200)])
            }
            alerts += h.records.filter { $0.alert && $0.verdict?.kind == .tunnel }.count
        }
        #expect(alerts == 1)
        #expect(h.query("www.tunnel-zone.com").message?.rcode == DNSResponseCode.nxDomain)
        // quarantine_seconds is 60, but while evidence lasts the domain is convicted again: an hour later
        // the 24 h window still holds 30 tunnel names. Three days later it has faded and the domain is released.
        h.advance(seconds: 3600)
        #expect(h.query("www.tunnel-zone.com").message?.rcode == DNSResponseCode.nxDomain)
        h.advance(seconds: 3 * 86_400)
        #expect(h.query("www.tunnel-zone.com").forwarded != nil)
    }

    @Test func leakBudgetCapsNameInformationPerDomain() throws {
        let policy = basicPolicy.replacing("bytes: 1000000", with: "bytes: 100")
            .replacing("quarantine_seconds: 60", with: "quarantine_seconds: 0")
        var h = try CoreHarness(policy: policy)
        var labels = LabelGenerator()
        var forwarded = 0
        var blocked: DNSDecisionRecord?
        for _ in 0..<20 {
            let action = h.query("\(labels.base32(20)).budget-zone.com")
            if action.forwarded != nil {
                forwarded += 1
            } else if blocked == nil {
                blocked = h.records.last
            }
        }
        let record = try #require(blocked)
        #expect(record.rule == "dns.leak_budget")
        // 20 base32 characters carry about 12 bytes by the engine's estimate: ~8 fit in 100 bytes.
        #expect(forwarded >= 5 && forwarded <= 10)
        // Repeating a name already sent leaks nothing new, and other domains have their own budget.
        #expect(h.query("www.example.com").forwarded != nil)
    }

    @Test func rebindingAnswersAreRefusedUnlessAllowed() throws {
        let policy = basicPolicy + "\n  rebinding:\n    allow_private_answers_for: [intranet.example.com]\n"
        var h = try CoreHarness(policy: policy)
        for (name, address) in [
            ("rebind.example.com", "127.0.0.1"), ("meta.example.com", "169.254.169.254"),
            ("lan.example.com", "10.1.2.3"),
        ] {
            let forward = try #require(h.query(name).forwarded)
            #expect(h.answer(forward, [.a(address)]).message?.rcode == DNSResponseCode.nxDomain)
            #expect(h.records.last?.rule == "dns.rebinding.allow_private_answers_for")
        }
        let v6 = try #require(h.query("v6.example.com", type: DNSRecordType.aaaa).forwarded)
        #expect(h.answer(v6, [.aaaa("::1")]).message?.rcode == DNSResponseCode.nxDomain)
        let allowed = try #require(h.query("intranet.example.com").forwarded)
        #expect(h.answer(allowed, [.a("10.1.2.3")]).message?.answers.first?.address == IPAddress("10.1.2.3"))
        #expect(h.core.stats.rebindingBlocked == 4)
    }

    @Test func reloadedPolicyTakesEffectAndIsNamedInDecisions() throws {
        var h = try CoreHarness(policy: basicPolicy)
        let oldVersion = h.core.policy.version
        #expect(h.query("www.example.com").forwarded != nil)
        let stricter = try PolicyLoader.load(
            text: basicPolicy.replacing("deny: [evil.example.com]", with: "deny: [.example.com]"),
            name: "test.yaml")
        h.shared.install(try PolicySnapshot(policy: stricter, defaultUpstreams: [CoreHarness.upstreamA]))
        h.core.refreshPolicy()
        #expect(h.query("www.example.com").message?.rcode == DNSResponseCode.nxDomain)
        let record = try #require(h.records.last)
        #expect(record.policyVersion == stricter.version)
        #expect(record.policyVersion != oldVersion)
    }

    @Test func decisionLinesCarryTheFieldsAlertingNeeds() throws {
        var h = try CoreHarness(policy: basicPolicy)
        _ = h.query("evil.example.com", type: DNSRecordType.aaaa)
        let line = DecisionFormat.string(try #require(h.records.last))
        for key in [
            "\"time\":\"", "\"sandbox\":null", "\"client\":\"198.18.1.10:40000\"", "\"name\":\"evil.example.com\"",
            "\"qtype\":\"AAAA\"", "\"action\":\"block\"", "\"rule\":\"dns.deny[0]\"", "\"verdict\":null",
            "\"policy_version\":\"sha256:", "\"rcode\":\"NXDOMAIN\"", "\"reason\":\"AAAA query for 'evil.example.com'",
        ] {
            #expect(line.contains(key), "\(key) missing from \(line)")
        }
    }
}

@Suite struct ReloadTests {
    /// A reload that changes the detection thresholds rebuilds the engine with them, and keeps the
    /// quarantines: a reload must never release a convicted domain.
    @Test func reloadKeepsQuarantinesAndAppliesNewThresholds() throws {
        var h = try CoreHarness(policy: basicPolicy)
        var labels = LabelGenerator()
        for _ in 0..<20 {
            if let forward = h.query("\(labels.base32(50)).t.tunnel-zone.com", type: DNSRecordType.txt).forwarded {
                _ = h.answer(forward, [.txt(200)])
            }
        }
        #expect(h.query("www.tunnel-zone.com").message?.rcode == DNSResponseCode.nxDomain)

        let lenient = try PolicyLoader.load(
            text: basicPolicy + "\ndetection:\n  tunnel_score: 100\n", name: "lenient.yaml",
            knownDetectionKeys: PolicySnapshot.knownDetectionKeys)
        h.shared.install(try PolicySnapshot(policy: lenient, defaultUpstreams: [CoreHarness.upstreamA]))
        h.core.refreshPolicy()
        #expect(h.query("www.tunnel-zone.com").message?.rcode == DNSResponseCode.nxDomain)
        // With a tunnel score nothing reaches, a new tunnel domain is not convicted.
        var forwarded = 0
        for _ in 0..<20 {
            if let forward = h.query("\(labels.base32(50)).t.other-tunnel.com", type: DNSRecordType.txt).forwarded {
                forwarded += 1
                _ = h.answer(forward, [.txt(200)])
            }
        }
        #expect(forwarded == 20)
    }
}
