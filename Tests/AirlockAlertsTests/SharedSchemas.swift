import AirlockTestSupport
import Foundation

/// The real published schemas beside the repository (`../shared/schemas`: OCSF 1.4.0 compiled,
/// Suricata 8.0.6's EVE `etc/schema.json`, and their `validate.py`). A fresh clone has no
/// `../shared`, and `validate.py` needs two PyPI packages (`Deploy/install-deps.sh` installs them),
/// so the tests that use it are enabled only when both are there.
enum SharedSchemas {
    static let directory = Samples.repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared/schemas")
    static var script: String { directory.appendingPathComponent("validate.py").path }

    /// Why validation cannot run here, or nil when it can.
    static let unavailableReason: String? = {
        guard FileManager.default.fileExists(atPath: script) else { return "no \(script)" }
        let probe = run(["python3", "-c", "import jsonschema, referencing, ocsf_json_schema"])
        return probe.status == 0 ? nil : "python3 lacks jsonschema/ocsf-json-schema (pip install 'jsonschema>=4.18' 'ocsf-json-schema==1.2.0')"
    }()
    static var available: Bool { unavailableReason == nil }

    /// Runs `validate.py ocsf|eve` over `lines` written to a temporary file.
    static func validate(_ kind: String, _ lines: [String]) throws -> (status: Int32, output: String) {
        let file = Samples.temporaryDirectory("schema") + "/\(kind).jsonl"
        try (lines.joined(separator: "\n") + "\n").write(toFile: file, atomically: true, encoding: .utf8)
        return run(["python3", script, kind, file])
    }

    static func run(_ arguments: [String]) -> (status: Int32, output: String) {
        do {
            let r = try runProcess("/usr/bin/env", arguments, mergingStandardError: true)
            return (r.status, r.stdout)
        } catch {
            return (127, "\(error)")
        }
    }
}
