import Foundation
import Testing

/// `airlock check-policy`, `airlock serve` start-up errors and `airlock replay --policy`, through the
/// built binary.
@Suite struct PolicyCommandTests {
    static let example = CLI.root.appendingPathComponent("Deploy/policy.example.yaml").path
    static let broken = CLI.root.appendingPathComponent("Tests/AirlockPolicyTests/testdata/broken/unknown_key.yaml").path

    @Test func checkPolicySummarisesAValidFile() throws {
        let r = try CLI.run(["check-policy", Self.example])
        #expect(r.status == 0)
        #expect(r.stdout.contains("OK, policy version sha256:"))
        #expect(r.stdout.contains("sandbox build-runner"))
    }

    @Test func checkPolicyListsErrorsWithFileLineAndColumn() throws {
        let r = try CLI.run(["check-policy", Self.broken])
        #expect(r.status == 1)
        let first = r.stderr.split(separator: "\n").first.map(String.init) ?? ""
        #expect(first.hasPrefix(Self.broken + ":"), "\(r.stderr)")
        #expect(first.split(separator: ":").count >= 4)
        #expect(try CLI.run(["check-policy"]).status == 64)
    }

    @Test func serveRefusesWhatItCannotRun() throws {
        #expect(try CLI.run(["serve"]).status == 64)
        let badListen = try CLI.run(["serve", "--policy", Self.example, "--listen", "localhost"])
        #expect(badListen.status == 64)
        #expect(badListen.stderr.contains("--listen"))
        let broken = try CLI.run(["serve", "--policy", Self.broken, "--listen", "127.0.0.1:0"])
        #expect(broken.status == 1)
        #expect(broken.stderr.contains(Self.broken + ":"))
        // A policy without upstreams needs --upstream.
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("airlock-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let policy = dir.appendingPathComponent("p.yaml").path
        try "version: 1\n".write(toFile: policy, atomically: true, encoding: .utf8)
        let noUpstream = try CLI.run(["serve", "--policy", policy, "--listen", "127.0.0.1:0"])
        #expect(noUpstream.status == 1)
        #expect(noUpstream.stderr.contains("no upstream resolvers"))
    }

    @Test(.enabled(if: CLI.sharedAvailable, "needs ../shared/captures"))
    func replayWithAPolicySaysWhatWouldHaveBeenBlockedAndWhy() throws {
        let capture = CLI.sharedCapture("tunnel/ndpi_dns-tunnel-iodine.pcap")
        let table = try CLI.run(["replay", "--policy", Self.example, capture])
        #expect(table.status == 0)
        #expect(table.stdout.contains("222 blocked, 0 would-block of 222 queries; by rule: dns.allowed_types=222"))
        #expect(table.stdout.contains("record type is not in dns.allowed_types at"))
        let jsonl = try CLI.run(["replay", "--jsonl", "--policy", Self.example, capture])
        let decisions = jsonl.stdout.split(separator: "\n").filter { $0.contains("\"event\":\"dns_decision\"") }
        #expect(decisions.count == 222)
        #expect(decisions.allSatisfy { $0.contains("\"action\":\"block\"") && $0.contains("\"policy_version\":\"sha256:") })
        let summary = try CLI.run(["replay", "--summary", "--policy", Self.example, capture])
        #expect(summary.stdout.contains("\"policy\":[{"))
        #expect(summary.stdout.contains("\"blocked\":222"))
    }
}
