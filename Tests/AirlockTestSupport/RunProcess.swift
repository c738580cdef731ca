import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// What a command printed and how it ended.
public struct ProcessOutput: Sendable {
    public var status: Int32
    public var stdout: String
    /// Empty when standard error went into ``stdout`` (`mergingStandardError`).
    public var stderr: String
    /// Wall-clock seconds from start to exit.
    public var seconds: Double

    public init(status: Int32, stdout: String, stderr: String, seconds: Double = 0) {
        self.status = status
        self.stdout = stdout
        self.stderr = stderr
        self.seconds = seconds
    }
}

/// Runs a command to completion, the one way the tests run one: standard input from `stdin` (text)
/// or `stdinFile`, else empty; standard output and error into temporary files, not pipes, so a chatty
/// command never blocks on a full pipe (and the test never on reading one before the other); killed
/// (SIGTERM, then SIGKILL) when it runs longer than `timeout` seconds.
@discardableResult
public func runProcess(
    _ executable: String, _ arguments: [String], stdin: String? = nil, stdinFile: String? = nil,
    mergingStandardError: Bool = false, timeout: Double = 600
) throws -> ProcessOutput {
    let base = FileManager.default.temporaryDirectory.appendingPathComponent("airlock-process-\(UUID().uuidString)").path
    let paths = (out: base + ".out", err: base + ".err", input: base + ".in")
    defer { for path in [paths.out, paths.err, paths.input] { try? FileManager.default.removeItem(atPath: path) } }
    _ = FileManager.default.createFile(atPath: paths.out, contents: nil)
    _ = FileManager.default.createFile(atPath: paths.err, contents: nil)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let out = try FileHandle(forWritingTo: URL(fileURLWithPath: paths.out))
    let err = mergingStandardError ? out : try FileHandle(forWritingTo: URL(fileURLWithPath: paths.err))
    defer {
        try? out.close()
        if !mergingStandardError { try? err.close() }
    }
    process.standardOutput = out
    process.standardError = err
    if let stdin {
        _ = FileManager.default.createFile(atPath: paths.input, contents: Data(stdin.utf8))
        process.standardInput = FileHandle(forReadingAtPath: paths.input)
    } else if let stdinFile {
        process.standardInput = FileHandle(forReadingAtPath: stdinFile)
    } else {
        process.standardInput = FileHandle.nullDevice
    }
    let started = Date()
    try process.run()
    if !eventually(seconds: timeout, { !process.isRunning }) { stopProcess(process) }
    process.waitUntilExit()
    return ProcessOutput(
        status: process.terminationStatus, stdout: text(paths.out), stderr: text(paths.err),
        seconds: Date().timeIntervalSince(started))
}

/// A file's bytes as text, invalid UTF-8 replaced (empty when it cannot be read).
private func text(_ path: String) -> String {
    String(decoding: FileManager.default.contents(atPath: path) ?? Data(), as: UTF8.self)
}
