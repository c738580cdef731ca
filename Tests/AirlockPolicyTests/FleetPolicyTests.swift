import AirlockEvents
import Testing

@testable import AirlockPolicy

/// The `fleet:` section: every key read, defaults, the password read from its file and never shown,
/// and mistakes reported at their lines (the broken files are in BrokenPolicyTests).
@Suite struct FleetPolicyTests {
    @Test func everyKeyIsReadAndThePasswordComesFromItsFile() throws {
        let path = TestData.path("good", "fleet.yaml")
        let policy = try PolicyLoader.load(path: path)
        let fleet = try #require(policy.fleet)
        #expect(fleet.redis == HostPort(host: "redis.airlock.svc", port: 6379))
        #expect(fleet.username == "airlock")
        #expect(fleet.password == "s3cret-pass")
        #expect(fleet.tls == FleetPolicy.TLS(caFile: nil, serverName: "redis.internal"))
        #expect(fleet.instance == "node-a" && fleet.keyPrefix == "team1")
        #expect(!fleet.shareConvictions && fleet.shareLeakBudget)
        #expect(fleet.leakBudget == Budget(bytes: 40_000, windowSeconds: 60) && fleet.budgetScope == .sandbox)
        #expect(fleet.syncIntervalMilliseconds == 150 && fleet.maxBudgetKeys == 1024 && fleet.maxConvictions == 512)
        #expect(fleet.location.shortDescription == "3:3")
        // Neither the description nor the checker's summary shows the password.
        #expect(!fleet.description.contains("s3cret") && fleet.description.contains("password from fleet-password"))
        let summary = PolicyChecker.check(path: path).output
        #expect(summary.contains("  fleet: redis redis.airlock.svc:6379, tls, user airlock"))
        #expect(!summary.contains("s3cret"))
    }

    @Test func defaultsShareEverything() throws {
        let policy = try PolicyLoader.load(text: "version: 1\nfleet:\n  redis: \"[2001:db8::5]\"\n", name: "p.yaml")
        let fleet = try #require(policy.fleet)
        #expect(fleet.redis == HostPort(host: "2001:db8::5", port: 6379))
        #expect(fleet.shareConvictions && fleet.shareLeakBudget && fleet.budgetScope == .domain)
        #expect(fleet.leakBudget == FleetPolicy.defaultLeakBudget && fleet.keyPrefix == "airlock")
        #expect(fleet.instance == nil && fleet.password == nil && fleet.tls == nil)
        #expect(fleet.syncIntervalMilliseconds == 200)
        #expect(try PolicyLoader.load(text: "version: 1\n", name: "p.yaml").fleet == nil)
    }

    @Test func aMissingAddressIsAnError() {
        do {
            _ = try PolicyLoader.load(text: "version: 1\nfleet:\n  instance: a\n", name: "p.yaml")
            Issue.record("loaded")
        } catch {
            #expect(error.description == "p.yaml:3:3: missing required key 'redis' in fleet")
        }
    }
}
