import Foundation
import Testing

@testable import AirlockPolicy

/// Malformed input never crashes: truncations and byte mutations of the example policy either load
/// or fail with located diagnostics.
@Suite struct RobustnessTests {
    static let example: [UInt8] = {
        let path = TestData.repositoryRoot.appendingPathComponent("Deploy/policy.example.yaml").path
        return (try? [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))) ?? []
    }()

    private func outcome(_ bytes: [UInt8]) -> Bool {
        do {
            _ = try PolicyLoader.load(bytes: bytes, name: "m.yaml", knownDetectionKeys: TestData.detectionKeys)
            return true
        } catch {
            #expect(!error.diagnostics.isEmpty)
            #expect(error.diagnostics.allSatisfy { $0.location.line >= 1 && $0.location.column >= 1 })
            return false
        }
    }

    @Test func truncations() {
        #expect(Self.example.count > 1000)
        var loaded = 0
        for end in stride(from: 0, to: Self.example.count, by: 11) where outcome(Array(Self.example[..<end])) {
            loaded += 1
        }
        #expect(loaded > 0)  // cuts at line ends inside lists still make valid policies
        #expect(outcome(Self.example))
    }

    @Test func byteMutations() {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int(truncatingIfNeeded: state >> 33)
        }
        let alphabet = Array("\t\n :-[]{}&*!|>'\"#,.%@`\u{0}".utf8) + [0xFF, 0xC3, 0x80]
        var failures = 0
        for _ in 0..<600 {
            var bytes = Self.example
            for _ in 0..<(1 + next() % 4) {
                let i = next() % bytes.count
                switch next() % 3 {
                case 0: bytes[i] = alphabet[next() % alphabet.count]
                case 1: bytes.insert(alphabet[next() % alphabet.count], at: i)
                default: bytes.remove(at: i)
                }
            }
            if !outcome(bytes) { failures += 1 }
        }
        #expect(failures > 100)  // the mutations do reach the error paths
    }
}
