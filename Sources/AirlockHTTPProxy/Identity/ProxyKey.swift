#if canImport(Glibc)
    import Glibc
#endif

/// The HMAC key for proxy tokens, read from a file only its owner may read.
public enum ProxyKey {
    public enum Failure: Error, CustomStringConvertible {
        case unreadable(path: String, reason: String)
        case tooShort(path: String, bytes: Int)
        case tooOpen(path: String, mode: UInt32)
        case exists(path: String)

        public var description: String {
            switch self {
            case .unreadable(let path, let reason): return "\(path): \(reason)"
            case .tooShort(let path, let bytes):
                return "\(path): \(bytes) bytes; a token key needs at least 32 (e.g. head -c 32 /dev/urandom > \(path))"
            case .tooOpen(let path, let mode):
                return "\(path): mode \(String(mode & 0o777, radix: 8)) lets others read the key; chmod 600 \(path)"
            case .exists(let path): return "\(path) exists; a new key never overwrites one (tokens signed with it would stop working)"
            }
        }
    }

    /// The key bytes (a trailing newline is kept: the file is the key). At least 32 bytes; the
    /// file must not be readable or writable by group or others.
    public static func load(path: String) throws(Failure) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .unreadable(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw .unreadable(path: path, reason: String(cString: strerror(errno))) }
        guard info.st_mode & 0o077 == 0 else { throw .tooOpen(path: path, mode: UInt32(info.st_mode)) }
        var key = [UInt8](repeating: 0, count: 4096)
        let n = key.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard n >= 0 else { throw .unreadable(path: path, reason: String(cString: strerror(errno))) }
        guard n >= 32 else { throw .tooShort(path: path, bytes: n) }
        return Array(key[..<n])
    }

    /// Writes a new key of 32 random bytes (from the kernel's CSPRNG) to `path`, created with mode
    /// 0600 and never over an existing file.
    public static func create(path: String) throws(Failure) {
        let random = open("/dev/urandom", O_RDONLY | O_CLOEXEC)
        guard random >= 0 else { throw .unreadable(path: "/dev/urandom", reason: String(cString: strerror(errno))) }
        defer { close(random) }
        var key = [UInt8](repeating: 0, count: 32)
        let got = key.withUnsafeMutableBytes { read(random, $0.baseAddress, 32) }
        guard got == 32 else { throw .unreadable(path: "/dev/urandom", reason: "short read") }
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            if errno == EEXIST { throw .exists(path: path) }
            throw .unreadable(path: path, reason: String(cString: strerror(errno)))
        }
        defer { close(fd) }
        fchmod(fd, 0o600)
        let written = key.withUnsafeBytes { write(fd, $0.baseAddress, 32) }
        guard written == 32, fsync(fd) == 0 else {
            unlink(path)
            throw .unreadable(path: path, reason: String(cString: strerror(errno)))
        }
    }
}
