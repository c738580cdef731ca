import AirlockTestSupport
import Foundation
import Testing

/// Runs the built `airlock` binary, as a user would.
struct CLI {
    static let root = Repository.root
    static let shared = root.deletingLastPathComponent().appendingPathComponent("shared/captures")
    static var sharedAvailable: Bool { FileManager.default.fileExists(atPath: shared.path) }

    /// The binary SwiftPM built for this test run (tests depend on the `airlock` target).
    static var binary: URL { URL(fileURLWithPath: Repository.airlock) }

    typealias Result = ProcessOutput

    static func run(_ arguments: [String], stdin: String? = nil) throws -> Result {
        try runProcess(binary.path, arguments, stdin: stdin)
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

    /// A missing or unreadable file is an error before anything is printed: no empty table, no zero
    /// summary, even beside a good file.
    @Test func aMissingFileIsReportedBeforeAnyOutputAndFails() throws {
        let good = CLI.root.appendingPathComponent("Captures/tunnel/dns2tcp-txt.pcap").path
        for mode in [["--summary"], [], ["--jsonl"]] {
            let r = try CLI.run(["replay"] + mode + ["/nonexistent/x.pcap", good])
            #expect(r.status == 1)
            #expect(r.stderr == "airlock replay: capture file not found: /nonexistent/x.pcap\n")
            #expect(r.stdout.isEmpty, "\(r.stdout)")
        }
        let notCapture = NSTemporaryDirectory() + "airlock-not-a-capture-\(getpid()).pcap"
        try Data("hello\n".utf8).write(to: URL(fileURLWithPath: notCapture))
        defer { try? FileManager.default.removeItem(atPath: notCapture) }
        let bad = try CLI.run(["replay", notCapture])
        #expect(bad.status == 1 && bad.stdout.isEmpty && bad.stderr.contains("not a pcap or pcapng capture"))
    }

    @Test func aSubcommandMistakePrintsThatSubcommandsUsage() throws {
        for (command, line) in [
            ("replay", "usage: airlock replay"), ("serve", "usage: airlock serve"), ("explain", "usage: airlock explain"),
            ("token", "usage: airlock token"), ("check-policy", "usage: airlock check-policy"),
        ] {
            let r = try CLI.run([command, "--frobnicate"])
            #expect(r.status == 64)
            #expect(r.stderr.hasPrefix("airlock \(command): unknown option '--frobnicate'"), "\(r.stderr)")
            #expect(r.stderr.contains(line) && !r.stderr.contains("usage: airlock COMMAND"), "\(r.stderr)")
        }
    }

    /// A bad BPF expression is one usage error, whatever the number of files.
    @Test func aBadFilterIsReportedOnce() throws {
        let files = ["Captures/tunnel/dns2tcp-txt.pcap", "Captures/tunnel/iodine-txt-raw.pcap"].map {
            CLI.root.appendingPathComponent($0).path
        }
        let r = try CLI.run(["replay", "--filter", "port 53 and (", ] + files)
        #expect(r.status == 64)
        #expect(r.stdout.isEmpty)
        #expect(r.stderr.components(separatedBy: "invalid value 'port 53 and ('").count == 2, "\(r.stderr)")
    }

    /// The terminal table's columns start where the header's do.
    @Test func theTableHeaderLinesUpWithItsRows() throws {
        let r = try CLI.run(["replay", CLI.root.appendingPathComponent("Captures/tunnel/dns2tcp-txt.pcap").path])
        let lines = r.stdout.split(separator: "\n").map(String.init)
        let header = try #require(lines.first)
        let row = try #require(lines.dropFirst().first { $0.contains("tunnel") })
        for column in ["CLIENT", "VERDICT", "DOMAIN", "QUERIES", "WHY"] {
            let offset = header.distance(from: header.startIndex, to: header.range(of: column)!.lowerBound)
            let before = row[row.index(row.startIndex, offsetBy: offset - 1)]
            let at = row[row.index(row.startIndex, offsetBy: offset)]
            #expect(before == " " && at != " ", "\(column) at \(offset): \(row)")
        }
    }

    /// A capture cut short still reports what it read, and exits 2 so scripts can tell.
    @Test func aTruncatedCaptureExitsTwo() throws {
        let full = try Data(contentsOf: CLI.root.appendingPathComponent("Captures/tunnel/iodine-null-base32.pcap"))
        let cut = NSTemporaryDirectory() + "airlock-cut-\(getpid()).pcap"
        try full.prefix(20_000).write(to: URL(fileURLWithPath: cut))
        defer { try? FileManager.default.removeItem(atPath: cut) }
        let r = try CLI.run(["replay", "--summary", cut])
        #expect(r.status == 2)
        let summary = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        #expect((summary["packets"] as? Int ?? 0) > 0)
        #expect(r.stderr.contains("stopped at packet"))
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

@Suite struct TokenKeyTests {
    @Test func newKeyCreatesAPrivateRandomKeyOnceAndMintsWithIt() throws {
        let dir = NSTemporaryDirectory() + "airlock-key-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let key = dir + "/token.key"
        let created = try CLI.run(["token", "--new-key", key])
        #expect(created.status == 0 && created.stdout.isEmpty, "\(created.stderr)")
        let attributes = try FileManager.default.attributesOfItem(atPath: key)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        #expect((attributes[.size] as? Int) == 32)
        let again = try CLI.run(["token", "--new-key", key])
        #expect(again.status == 1 && again.stderr.contains("exists"))
        let other = dir + "/other.key"
        _ = try CLI.run(["token", "--new-key", other])
        #expect(try Data(contentsOf: URL(fileURLWithPath: key)) != Data(contentsOf: URL(fileURLWithPath: other)))
        let token = try CLI.run(["token", "--key-file", key, "--sandbox", "agent-1", "--ttl", "60"])
        #expect(token.status == 0 && token.stdout.hasPrefix("v1.agent-1."), "\(token.stderr)")
        let both = try CLI.run(["token", "--new-key", dir + "/third.key", "--sandbox", "agent-1", "--ttl", "60"])
        #expect(both.status == 0 && both.stdout.hasPrefix("v1.agent-1."), "\(both.stderr)")
    }
}

@Suite struct CheckPolicyCrossCheckTests {
    static func write(_ text: String) throws -> String {
        let path = NSTemporaryDirectory() + "airlock-check-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).yaml"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// An HTTP allow the same sandbox's DNS policy refuses is a warning naming both rules; a sandbox's
    /// own HTTP deny of an inherited allow is intended and not warned about.
    @Test func anHTTPAllowThatDNSDeniesIsAWarning() throws {
        let path = try Self.write(
            """
            version: 1
            dns:
              default: deny
              allow: [.pypi.org]
            http:
              default: deny
              allow: [pypi.org, api.openai.com]
            sandboxes:
              - name: builder
                match: [198.18.2.0/24]
                dns:
                  deny: [pypi.org]
              - name: quiet
                match: [198.18.3.0/24]
                http:
                  deny: [api.openai.com]
            """)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let r = try CLI.run(["check-policy", path])
        #expect(r.status == 0)
        let warnings = r.stdout.split(separator: "\n").filter { $0.contains("warning:") }
        #expect(warnings.count == 2, "\(r.stdout)")
        #expect(r.stdout.contains(
            "\(path):7:21: warning: http.allow[1]: allow rule 'api.openai.com' can never work: the HTTP proxy resolves "
                + "api.openai.com through Airlock's DNS, and dns.default (at 3:12) denies it; allow the name in dns too"))
        #expect(r.stdout.contains("http.allow[0] (sandbox builder): allow rule 'pypi.org' can never work"))
        #expect(r.stdout.contains("sandboxes[0].dns.deny[0] (at 12:14) denies it"))
    }

    @Test func theAlertsSectionIsValidatedInTheSameFileOrAnother() throws {
        let both = try Self.write("version: 1\nalerts:\n  format: eve\n  stdout: true\n")
        defer { try? FileManager.default.removeItem(atPath: both) }
        let ok = try CLI.run(["check-policy", both])
        #expect(ok.status == 0 && ok.stdout.contains("\(both): alerts: OK, format eve, window 60 s; stdout"), "\(ok.stderr)")
        let bad = try Self.write("version: 1\nalerts:\n  format: evee\n  windw_seconds: 5\n")
        defer { try? FileManager.default.removeItem(atPath: bad) }
        let refused = try CLI.run(["check-policy", bad])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("\(bad):4:3: unknown key 'windw_seconds' in alerts (did you mean 'window_seconds'?)"))
        #expect(refused.stderr.contains("\(bad):3:11: alerts.format is 'evee'; it must be one of ocsf, eve (did you mean 'eve'?)"))
        let policyOnly = try Self.write("version: 1\n")
        defer { try? FileManager.default.removeItem(atPath: policyOnly) }
        let separate = try CLI.run(["check-policy", "--alerts", bad, policyOnly])
        #expect(separate.status == 1 && separate.stderr.contains("alerts.format"))
        #expect(try CLI.run(["check-policy", policyOnly]).stdout.contains("alerts:") == false)
    }
}
