import AirlockTestSupport
import Foundation

/// Locates capture files for tests: the project's own `Captures/` and the public ones in `../shared/captures`.
enum CaptureFiles {
    static let repositoryRoot = Repository.root
    static let shared = repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared/captures")
    static let project = repositoryRoot.appendingPathComponent("Captures")

    static var sharedAvailable: Bool { FileManager.default.fileExists(atPath: shared.appendingPathComponent("tunnel").path) }

    static func sharedPath(_ relative: String) -> String { shared.appendingPathComponent(relative).path }

    static func sharedFiles(_ folder: String) -> [String] {
        let dir = shared.appendingPathComponent(folder)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        return names.filter { $0.hasSuffix(".pcap") || $0.hasSuffix(".pcapng") }.sorted().map {
            dir.appendingPathComponent($0).path
        }
    }

    /// A scratch directory removed when the value is released.
    final class Scratch {
        let url: URL
        init() throws {
            url = FileManager.default.temporaryDirectory.appendingPathComponent("airlock-replay-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        }
        func write(_ name: String, _ bytes: [UInt8]) throws -> String {
            let path = url.appendingPathComponent(name).path
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            return path
        }
        deinit { try? FileManager.default.removeItem(at: url) }
    }
}
