import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The one JSON-lines writer: standard output, or a file created if needed and appended to.
///
/// Each ``write(_:)`` hands whole lines to one `write(2)` loop under a lock, so lines from different
/// threads never interleave (the DNS and HTTP decision logs may share a file). ``reopen()`` opens the
/// path again: after the alert file sink rotated it, or after logrotate moved it away.
public final class JSONLinesFile: Sendable {
    /// The file, nil for standard output.
    public let path: String?
    private struct State {
        var fd: Int32
        /// Bytes in the file: its size when opened plus what was written since.
        var size: Int
    }
    private let state: Mutex<State>

    /// Standard output (never closed, never reopened).
    public static func standardOutput() -> JSONLinesFile { JSONLinesFile(fd: 1) }

    /// Opens `path` for appending (mode 0640), creating it when missing.
    public init(path: String) throws(SystemError) {
        self.path = path
        state = Mutex(try Self.open(path))
    }

    private init(fd: Int32) {
        path = nil
        state = Mutex(State(fd: fd, size: 0))
    }

    deinit {
        let fd = state.withLock { $0.fd }
        if path != nil && fd >= 0 { close(fd) }
    }

    private static func open(_ path: String) throws(SystemError) -> State {
        let fd = Glibc.open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw SystemError("open \(path)") }
        return State(fd: fd, size: max(Int(lseek(fd, 0, SEEK_END)), 0))
    }

    /// Bytes in the file (0 for standard output).
    public var size: Int { state.withLock { $0.size } }

    /// Writes `bytes` (whole lines) at once; a short write is continued, an interrupted one retried.
    public func write(_ bytes: [UInt8]) throws(SystemError) {
        guard !bytes.isEmpty else { return }
        let failure: SystemError? = state.withLock { state in
            guard state.fd >= 0 else { return SystemError("write \(path ?? "stdout")", code: EBADF) }
            var offset = 0
            while offset < bytes.count {
                let n = bytes.withUnsafeBytes { Glibc.write(state.fd, $0.baseAddress! + offset, $0.count - offset) }
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { return SystemError("write \(path ?? "stdout")", code: n < 0 ? errno : EIO) }
                offset += n
                state.size += n
            }
            return nil
        }
        if let failure { throw failure }
    }

    /// Closes the file and opens `path` again (a new, empty file when the old one was moved away).
    /// Standard output is left as it is. On failure the writer stays closed and writes fail until a
    /// later `reopen` succeeds.
    public func reopen() throws(SystemError) {
        guard let path else { return }
        let failure: SystemError? = state.withLock { state in
            if state.fd >= 0 { close(state.fd) }
            state = State(fd: -1, size: 0)
            do throws(SystemError) {
                state = try Self.open(path)
                return nil
            } catch {
                return error
            }
        }
        if let failure { throw failure }
    }
}
