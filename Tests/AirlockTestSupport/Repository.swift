import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Where the tests find the repository and the binary they test.
public enum Repository {
    /// The repository's root: the folder holding Package.swift.
    public static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// The `airlock` executable SwiftPM built for this test run (beside the test bundle; tests that
    /// run it depend on the `airlock` target), else `.build/debug/airlock`.
    public static var airlock: String {
        let bundled = Bundle.main.bundleURL.appendingPathComponent("airlock").path
        return FileManager.default.isExecutableFile(atPath: bundled)
            ? bundled : root.appendingPathComponent(".build/debug/airlock").path
    }
}

/// Stops a process a test started: `signal`, then SIGKILL when it is still running after `grace`
/// seconds; returns once it has exited.
public func stopProcess(_ process: Process, signal: Int32 = SIGTERM, grace: Double = 2) {
    guard process.isRunning else { return }
    kill(process.processIdentifier, signal)
    eventually(seconds: grace) { !process.isRunning }
    if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    process.waitUntilExit()
}
