import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Runs `Tests/Integration/http-bypass.sh` against the `airlock` binary this test run built: three
/// network namespaces on 198.18.0.0/15, real servers, Deploy/sandbox.sh's rules, and every bypass
/// tried from inside the sandbox. The script prints the bypass matrix; this test fails when any row
/// is not as expected, and skips (saying why) when not root or a tool is missing.
@Suite struct BypassMatrixTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static var airlock: String {
        let candidates = [
            Bundle.main.bundleURL.appendingPathComponent("airlock").path,
            root.appendingPathComponent(".build/debug/airlock").path,
        ]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? candidates[1]
    }

    @Test(.timeLimit(.minutes(5))) func everyBypassFailsAndEveryAllowedPathWorks() throws {
        guard geteuid() == 0 else {
            print("skipping the bypass matrix: needs root (network namespaces, nftables)")
            return
        }
        let script = Self.root.appendingPathComponent("Tests/Integration/http-bypass.sh").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [script, Self.airlock]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        print(text)
        if process.terminationStatus == 77 {
            print("skipping the bypass matrix: \(text.trimmingCharacters(in: .whitespacesAndNewlines))")
            return
        }
        #expect(process.terminationStatus == 0, "bypass matrix has rows not as expected (see output)")
        #expect(text.contains("not as expected: 0"))
    }
}
