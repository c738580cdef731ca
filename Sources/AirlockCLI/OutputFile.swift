#if canImport(Glibc)
    import Glibc
#endif

/// An output file named on the command line (`--dns-log FILE`, `report -o FILE`): `-` is standard
/// output; anything else is created or truncated (mode 0644), and a path that can't be opened is a
/// usage error naming the option, the path and the system's reason.
enum OutputFile {
    static func open(_ path: String, option: String) throws(UsageError) -> OutputStream {
        if path == "-" { return .standardOutput }
        let fd = Glibc.open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw .invalidValue(option: option, value: path, expected: "a writable file (\(String(cString: strerror(errno))))")
        }
        return OutputStream(fd: fd)
    }

    /// Closes a stream `open` returned (standard output stays open).
    static func close(_ stream: OutputStream) {
        if stream.fd > 2 { _ = Glibc.close(stream.fd) }
    }
}
