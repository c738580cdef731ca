import AirlockTestSupport
import Foundation

/// Paths of the policy files under `testdata/` (found from this file, so no resource bundle is needed).
enum TestData {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
        "testdata")
    static let repositoryRoot = Repository.root

    static func path(_ folder: String, _ file: String) -> String {
        directory.appendingPathComponent(folder).appendingPathComponent(file).path
    }

    static func files(in folder: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory.appendingPathComponent(folder).path)) ?? [])
            .sorted()
    }

    /// Detection keys the tests pretend the engine has.
    static let detectionKeys: Set<String> = ["tunnel_score", "entropy_threshold"]
}
