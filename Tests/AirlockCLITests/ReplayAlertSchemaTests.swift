import AirlockTestSupport
import Foundation
import Testing

/// `../shared/schemas/validate.py` (OCSF 1.4.0, Suricata 8.0.6 EVE) when it is beside the repository
/// and python3 has the packages it needs (`Deploy/install-deps.sh` installs them).
enum Schemas {
    static let script = CLI.root.deletingLastPathComponent().appendingPathComponent("shared/schemas/validate.py").path
    static let available: Bool = {
        guard FileManager.default.fileExists(atPath: script) else { return false }
        return (try? CLI.runTool("python3", ["-c", "import jsonschema, referencing, ocsf_json_schema"]).status) == 0
    }()
}

extension CLI {
    /// Runs another program found on PATH.
    static func runTool(_ tool: String, _ arguments: [String]) throws -> Result {
        try runProcess("/usr/bin/env", [tool] + arguments)
    }
}

/// The records `airlock replay --alerts` writes (the ones live operation would send) validate against
/// the real schemas, for the bundled tunnel captures: KEY, NULL, PRIVATE, TXT record types, direct
/// and through a resolver.
@Suite(.enabled(if: Schemas.available, "../shared/schemas/validate.py or its Python packages are missing"))
struct ReplayAlertSchemaTests {
    static let captures = [
        "Captures/tunnel/dns2tcp-key-compressed.pcap", "Captures/tunnel/iodine-null-via-resolver.pcap",
        "Captures/tunnel/iodine-private-auto.pcap", "Captures/mixed/mixed-iodine-txt-browsing.pcap",
    ].map { CLI.root.appendingPathComponent($0).path }

    @Test(arguments: ["ocsf", "eve"])
    func replayAlertsValidate(format: String) throws {
        let out = NSTemporaryDirectory() + "airlock-replay-\(format)-\(getpid()).jsonl"
        defer { try? FileManager.default.removeItem(atPath: out) }
        let replay = try CLI.run(["replay", "--summary", "--alerts", out, "--alerts-format", format] + Self.captures)
        #expect(replay.status == 0, "\(replay.stderr)")
        let lines = try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n")
        #expect(lines.count >= Self.captures.count, "one alert per tunnel at least")
        if format == "eve" { #expect(lines.contains { $0.contains("\"rrtype\":\"KEY\"") }) }
        let result = try CLI.runTool("python3", [Schemas.script, format, out])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("\(format): \(lines.count) valid, 0 invalid"), "\(result.stdout)")
    }
}
