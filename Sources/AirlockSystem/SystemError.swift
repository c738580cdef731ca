#if canImport(Glibc)
    import Glibc
#endif

/// An operating-system call that failed, with the call and errno text: the one error type of the
/// system layer (sockets, epoll, threads, files), so a failure reads as
/// `connect 127.0.0.1:9: Connection refused` or `bind udp 127.0.0.1:53: Address already in use`.
public struct SystemError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The call and its argument: `bind udp 127.0.0.1:53`, `open /var/log/airlock.jsonl`.
    public var operation: String
    /// The errno value.
    public var code: Int32

    /// `code` defaults to the calling thread's `errno`, read at once (before anything can change it).
    public init(_ operation: String, code: Int32 = errno) {
        self.operation = operation
        self.code = code
    }

    public var description: String { "\(operation): \(String(cString: strerror(code)))" }
    /// No space left on the device (or quota): the spool's disk is full.
    public var isDiskFull: Bool { code == ENOSPC || code == EDQUOT }
}
