import AirlockReplay
import Foundation
import Testing

/// The captures this project generated with real tunnel tools and real clients (`Captures/`), checked
/// against the verdicts `Captures/manifest.json` records for them.
struct ManifestEntry: Sendable, CustomTestStringConvertible {
    var file: String
    var verdict: String
    var tunnelDomain: String?
    var testDescription: String { file }

    static func load() -> [ManifestEntry] {
        let url = CaptureFiles.project.appendingPathComponent("manifest.json")
        guard let data = try? Data(contentsOf: url),
            let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let captures = root["captures"] as? [[String: Any]]
        else { return [] }
        return captures.compactMap { c in
            guard let file = c["file"] as? String, let verdict = c["verdict"] as? String else { return nil }
            return ManifestEntry(file: file, verdict: verdict, tunnelDomain: c["tunnel_domain"] as? String)
        }
    }
}

@Suite struct ProjectCaptureVerdictTests {
    static let entries = ManifestEntry.load()

    /// The verdict test below runs once per manifest entry, so a missing or unreadable manifest would
    /// pass it with no cases at all: this one fails instead.
    @Test func manifestListsCaptures() {
        #expect(
            Self.entries.count >= 2,
            "no captures loaded from \(CaptureFiles.project.appendingPathComponent("manifest.json").path)")
        #expect(Set(Self.entries.map(\.verdict)) == ["tunnel", "benign"], "both kinds of capture are checked")
    }

    @Test(arguments: entries)
    func verdictMatchesTheManifest(_ entry: ManifestEntry) throws {
        let path = CaptureFiles.project.appendingPathComponent(entry.file).path
        let s = Replayer(options: ReplayOptions(files: [path])).run()
        #expect(s.failures.isEmpty)
        #expect(s.truncations.isEmpty)
        switch entry.verdict {
        case "tunnel":
            let hit = s.flagged.first { $0.verdict == .tunnel && $0.domain.value == entry.tunnelDomain }
            let f = try #require(hit, "\(entry.file): no tunnel verdict on \(entry.tunnelDomain ?? "?")")
            #expect(f.queriesBeforeAlert <= 10)
            #expect(s.flagged.allSatisfy { $0.domain.value == entry.tunnelDomain }, "\(s.flagged.map(\.explanation))")
        case "benign":
            #expect(s.flagged.isEmpty, "\(entry.file): \(s.flagged.map(\.explanation))")
        default:
            Issue.record("unknown verdict \(entry.verdict) in manifest")
        }
    }
}
