import AirlockSystem
import AirlockTestSupport
import Foundation

@testable import AirlockAlerts

/// A helper process a test starts and stops by its PID (loopback receivers: Python, rsyslogd).
final class TestProcess: @unchecked Sendable {
    let process = Process()

    init(_ executable: String, _ arguments: [String]) throws {
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
    }

    var pid: Int32 { process.processIdentifier }

    /// Sends SIGKILL to this process only, and reaps it.
    func kill() {
        guard process.isRunning else { return }
        Foundation.kill(pid, SIGKILL)
        process.waitUntilExit()
    }

    deinit { kill() }

    /// Runs a command to completion; its exit status.
    static func run(_ executable: String, _ arguments: [String]) throws -> Int32 {
        let p = try TestProcess(executable, arguments)
        p.process.waitUntilExit()
        return p.process.terminationStatus
    }

    /// Waits until something accepts TCP connections on `port` (up to `seconds`).
    static func waitForPort(_ port: UInt16, seconds: Double = 10) -> Bool {
        eventually(seconds: seconds) {
            guard let c = try? TCPConnection.connect(host: "127.0.0.1", port: port, timeoutMilliseconds: 200) else {
                return false
            }
            c.close()
            return true
        }
    }

    /// `python3` from PATH.
    static var python: String? {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":") {
            let path = "\(dir)/python3"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }
}

