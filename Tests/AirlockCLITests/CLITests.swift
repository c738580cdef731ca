import Foundation
import Testing

/// Runs the built `airlock` binary, as a user would.
struct CLI {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let shared = root.deletingLastPathComponent().appendingPathComponent("shared/captures")
    static var sharedAvailable: Bool { FileManager.default.fileExists(atPath: shared.path) }

    /// The binary SwiftPM built for this test run (tests depend on the `airlock` target).
    static var binary: URL {
        let candidates = [
            Bundle.main.bundleURL.appendingPathComponent("airlock"),
            root.appendingPathComponent(".build/debug/airlock"),
        ]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) } ?? candidates[1]
    }

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static func run(_ arguments: [String], stdin: String? = nil) throws -> Result {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        let out = Pipe(), err = Pipe(), input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try input.fileHandleForWriting.close()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(
            status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
            stderr: String(decoding: errData, as: UTF8.self))
    }

    static func sharedCapture(_ relative: String) -> String { shared.appendingPathComponent(relative).path }
}

@Suite struct CLIUsageTests {
    @Test func noCommandPrintsUsageAndFails() throws {
        let r = try CLI.run([])
        #expect(r.status == 64)
        #expect(r.stdout.contains("usage: airlock COMMAND"))
    }

    @Test func unknownCommandAndOptionAreUsageErrors() throws {
        let a = try CLI.run(["frobnicate"])
        #expect(a.status == 64)
        #expect(a.stderr.contains("unknown command 'frobnicate'"))
        let b = try CLI.run(["replay", "--frobnicate", "x.pcap"])
        #expect(b.status == 64)
        #expect(b.stderr.contains("unknown option '--frobnicate'"))
        let c = try CLI.run(["replay"])
        #expect(c.status == 64)
        #expect(c.stderr.contains("missing capture FILE"))
        let d = try CLI.run(["replay", "--set", "no_such_threshold=1", "x.pcap"])
        #expect(d.status == 64)
        #expect(d.stderr.contains("tunnel_score"))
    }

    @Test func aMissingFileIsReportedAndFails() throws {
        let r = try CLI.run(["replay", "--summary", "/nonexistent/x.pcap"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("/nonexistent/x.pcap"))
        let summary = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        #expect((summary["errors"] as! [Any]).count == 1)
    }

    @Test func explainShowsTheGroupAndTheScoreComponents() throws {
        let r = try CLI.run(["explain", "laegpumiplhhpz12ynd1efljwlkjcgwy.pirate.sea", "www.example.com"])
        #expect(r.status == 0)
        #expect(r.stdout.contains("group: pirate.sea (unlisted-suffix)"))
        #expect(r.stdout.contains("ngram_log_likelihood="))
        #expect(r.stdout.contains("group: example.com (registered-domain)"))
        let tsv = try CLI.run(["explain", "--tsv"], stdin: "mail.google.com\nnot..valid\n")
        #expect(tsv.status == 1)
        #expect(tsv.stdout.split(separator: "\n").count == 1)
        #expect(tsv.stderr.contains("not a valid name: not..valid"))
    }
}

@Suite(.enabled(if: CLI.sharedAvailable, "../shared/captures is not beside the repository"))
struct CLIReplayTests {
    let iodine = CLI.sharedCapture("tunnel/ndpi_dns-tunnel-iodine.pcap")

    @Test func summaryIsOneJSONObjectWithTheIssueFields() throws {
        let r = try CLI.run(["replay", "--summary", iodine])
        #expect(r.status == 0)
        let s = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        #expect(s["files"] as? Int == 1)
        #expect(s["packets"] as? Int == 438)
        #expect(s["dns_messages"] as? Int == 434)
        #expect(s["malformed"] as? Int == 0)
        let flagged = try #require(s["flagged"] as? [[String: Any]])
        #expect(flagged.count == 1)
        #expect(flagged[0]["domain"] as? String == "pirate.sea")
        #expect(flagged[0]["queries"] as? Int == 222)
        #expect((flagged[0]["queries_before_alert"] as? Int ?? 99) <= 10)
        #expect((flagged[0]["name_bytes_before_alert"] as? Int ?? 0) > 0)
        #expect(!(flagged[0]["reasons"] as? [String] ?? []).isEmpty)
    }

    @Test func jsonLinesGiveOneDecisionPerQueryAndMarkTheAlert() throws {
        let r = try CLI.run(["replay", "--jsonl", iodine])
        #expect(r.status == 0)
        let records = try r.stdout.split(separator: "\n").map {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
        }
        let queries = records.filter { $0["type"] as? String == "dns_query" }
        #expect(queries.count == 222)
        // One alert per kind and domain: a single odd name may alert before the domain is convicted.
        let alerts = records.filter { $0["alert"] as? Bool == true }
        let tunnelAlerts = alerts.filter { $0["verdict"] as? String == "tunnel" }
        #expect(tunnelAlerts.count == 1)
        #expect(alerts.count <= 2)
        #expect(tunnelAlerts.first?["rule"] as? String == "dns.tunnel.domain_score")
        #expect((tunnelAlerts.first?["evidence"] as? [[String: Any]])?.isEmpty == false)
        // Every later query to the convicted domain carries the verdict without alerting again.
        let carried = queries.filter { $0["verdict"] as? String == "tunnel" && $0["alert"] as? Bool == false }
        #expect(carried.count > 200)
    }

    @Test func theTableNamesTheTunnelAndTheTotals() throws {
        let r = try CLI.run(["replay", iodine])
        #expect(r.status == 0)
        let lines = r.stdout.split(separator: "\n")
        #expect(lines.first?.hasPrefix("TIME") == true)
        #expect(lines.contains { $0.contains("tunnel") && $0.contains("pirate.sea") })
        #expect(r.stdout.contains("1 file(s), 438 packets, 434 DNS messages"))
    }
}
