import AirlockAlerts
import AirlockSystem

/// The JSON-lines files a server writes decisions to, opened once per path (the DNS and HTTP logs
/// may name the same file and then share one writer), so a signal can reopen every one of them.
///
/// Rotation (logrotate, or `mv decisions.jsonl decisions.jsonl.1`) moves the file the server holds
/// open; ``reopen()`` on SIGHUP or SIGUSR2 opens the path again, a new file, and the next line goes
/// there. Lines written between the move and the signal land in the moved file, none is lost.
final class LogFiles {
    private var files: [String: JSONLinesFile] = [:]
    private let standardOutput = JSONLinesFile.standardOutput()

    /// The writer for `path`: standard output for nil or `-`.
    func file(_ path: String?) throws(SystemError) -> JSONLinesFile {
        guard let path, path != "-" else { return standardOutput }
        if let open = files[path] { return open }
        let file = try JSONLinesFile(path: path)
        files[path] = file
        return file
    }

    /// Reopens every file; returns one line per file that could not be reopened (its writes fail,
    /// counted nowhere but this line, until a later reopen succeeds).
    func reopen() -> [String] {
        var failures: [String] = []
        for (path, file) in files.sorted(by: { $0.key < $1.key }) {
            do { try file.reopen() } catch { failures.append("\(path): \(error)") }
        }
        return failures
    }

    var count: Int { files.count }
}

extension LogFiles {
    /// Reopens the decision logs and the alert file sinks, and says so on standard error:
    /// `airlock serve: SIGUSR2: reopened 2 log files` (or which could not be reopened).
    func reopenAll(alerts: AlertPipeline?, command: String, signal: String, err: OutputStream) {
        let failures = reopen() + (alerts?.reopenFiles() ?? [])
        let sinks = alerts?.sinkNames.filter { $0 == "file" }.count ?? 0
        if failures.isEmpty {
            err.line("airlock \(command): \(signal): reopened \(count + sinks) log file(s)")
        } else {
            err.line("airlock \(command): \(signal): could not reopen: \(failures.joined(separator: "; "))")
        }
    }
}
