#if canImport(Glibc)
    import Glibc
    private let systemRead = Glibc.read
#endif

/// Reads a whole file with a size cap, reporting failures in the system's words ("No such file or
/// directory"). POSIX rather than Foundation: the cap must hold for `/dev/zero` and pipes too, and
/// the error text should be the one an operator knows. The buffer pointer stays in this file.
enum FileReader {
    enum Failure: Error {
        case system(String)
        case tooLarge(Int)
    }

    /// The bytes of `path`, or why not; more than `limit` bytes is a failure (reading stops there).
    static func read(path: String, limit: Int) -> Result<[UInt8], Failure> {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return .failure(.system(String(cString: strerror(errno)))) }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while bytes.count <= limit {
            let count = chunk.withUnsafeMutableBytes { buffer in
                systemRead(fd, buffer.baseAddress, buffer.count)
            }
            if count < 0 {
                if errno == EINTR { continue }
                return .failure(.system(String(cString: strerror(errno))))
            }
            if count == 0 { return .success(bytes) }
            bytes += chunk[0..<count]
        }
        return .failure(.tooLarge(bytes.count))
    }
}
