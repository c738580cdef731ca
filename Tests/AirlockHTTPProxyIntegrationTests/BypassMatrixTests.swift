import AirlockTestSupport
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Runs `Tests/Integration/http-bypass.sh` against the `airlock` binary this test run built: three
/// network namespaces on 198.18.0.0/15, real servers, Deploy/sandbox.sh's rules, and every bypass
/// tried from inside the sandbox. The script prints the bypass matrix; this test fails when any row
/// is not as expected. It runs only as root with the script's tools at hand (`.enabled(if:)`: a
/// skip is reported as one); the script's own skip (exit 77) then counts as a failure.
@Suite struct BypassMatrixTests {
    static let root = Repository.root

    static var airlock: String { Repository.airlock }

    /// What `http-bypass.sh` checks for before it runs (it exits 77 without them).
    static let tools = ["ip", "nft", "nsd", "openssl", "python3", "curl", "dig", "setpriv", "unshare", "ping"]

    static var runnable: Bool {
        let path = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin") + ":/usr/sbin:/sbin"
        return geteuid() == 0
            && tools.allSatisfy { tool in
                path.split(separator: ":").contains { FileManager.default.isExecutableFile(atPath: "\($0)/\(tool)") }
            }
    }

    @Test(
        .enabled(if: runnable, "needs root (network namespaces, nftables) and \(tools.joined(separator: ", "))"),
        .timeLimit(.minutes(5)))
    func everyBypassFailsAndEveryAllowedPathWorks() throws {
        let script = Self.root.appendingPathComponent("Tests/Integration/http-bypass.sh").path
        let run = try runProcess("/bin/bash", [script, Self.airlock], mergingStandardError: true)
        let text = run.stdout
        print(text)
        #expect(run.status != 77, "the script skipped: \(text.trimmingCharacters(in: .whitespacesAndNewlines))")
        #expect(run.status == 0, "bypass matrix has rows not as expected (see output)")
        #expect(text.contains("not as expected: 0"))
    }
}
