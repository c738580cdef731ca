#if canImport(Glibc)
    import Glibc
#endif

/// Bytes waiting to be written to one socket, in arrival order. Writes go out from `offset` so a
/// partial write costs no copying; the storage is compacted once it is all sent.
struct OutBuffer {
    private(set) var bytes: [UInt8] = []
    private var offset = 0

    var count: Int { bytes.count - offset }
    var isEmpty: Bool { offset == bytes.count }

    mutating func append(_ more: [UInt8]) {
        if isEmpty {
            bytes = more
            offset = 0
        } else {
            bytes.append(contentsOf: more)
        }
    }

    /// Writes as much as the socket takes. Returns false on a write error (peer gone).
    mutating func flush(_ fd: Int32) -> Bool {
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { raw in
                send(fd, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
            }
            if n < 0 {
                if errno == EAGAIN || errno == EWOULDBLOCK { return true }
                if errno == EINTR { continue }
                return false
            }
            offset += n
        }
        bytes.removeAll(keepingCapacity: bytes.capacity <= 1 << 20)
        offset = 0
        return true
    }

    mutating func removeAll() {
        bytes = []
        offset = 0
    }
}

/// A fixed buffer for relaying a tunnel one way: the kernel reads into its free tail and writes
/// from its filled head, so relayed bytes are copied only between the kernel and this buffer.
/// The pointer lives and dies here.
final class RelayBuffer {
    private let storage: UnsafeMutableRawBufferPointer
    private var head = 0
    private var tail = 0

    init(capacity: Int) {
        storage = .allocate(byteCount: max(capacity, 4096), alignment: 16)
    }

    deinit { storage.deallocate() }

    var count: Int { tail - head }
    var isEmpty: Bool { head == tail }

    /// Empties the buffer for reuse by another tunnel.
    func reset() {
        head = 0
        tail = 0
    }
    var hasSpace: Bool { tail < storage.count || head > 0 }

    enum ReadResult {
        /// Bytes read, and whether the read filled the free space (more may be waiting).
        case bytes(Int, full: Bool)
        case wouldBlock
        case endOfStream
        case error(Int32)
    }

    /// One `read` into the free space.
    func read(from fd: Int32) -> ReadResult {
        if tail == storage.count && head > 0 { compact() }
        guard tail < storage.count else { return .wouldBlock }
        while true {
            let room = storage.count - tail
            let n = Glibc.read(fd, storage.baseAddress! + tail, room)
            if n > 0 {
                tail += n
                return .bytes(n, full: n == room)
            }
            if n == 0 { return .endOfStream }
            if errno == EINTR { continue }
            if errno == EAGAIN || errno == EWOULDBLOCK { return .wouldBlock }
            return .error(errno)
        }
    }

    /// Writes what it holds; false on a write error.
    func flush(to fd: Int32) -> Bool {
        while head < tail {
            let n = send(fd, storage.baseAddress! + head, tail - head, Int32(MSG_NOSIGNAL))
            if n < 0 {
                if errno == EAGAIN || errno == EWOULDBLOCK { return true }
                if errno == EINTR { continue }
                return false
            }
            head += n
        }
        head = 0
        tail = 0
        return true
    }

    private func compact() {
        let live = tail - head
        if live > 0 { memmove(storage.baseAddress!, storage.baseAddress! + head, live) }
        head = 0
        tail = live
    }
}

/// Reads what a socket has into a growing array (the non-relay path), at most `limit` bytes held.
enum SocketInput {
    enum Result {
        case bytes(Int)
        case wouldBlock
        case endOfStream
        case error
    }

    static func read(_ fd: Int32, into buffer: inout [UInt8], limit: Int, scratch: UnsafeMutableRawBufferPointer)
        -> Result
    {
        var total = 0
        while buffer.count < limit {
            let room = min(scratch.count, limit - buffer.count)
            let n = Glibc.read(fd, scratch.baseAddress, room)
            if n > 0 {
                buffer.append(contentsOf: UnsafeRawBufferPointer(rebasing: scratch[0..<n]))
                total += n
                if n < room { break }
                continue
            }
            if n == 0 { return total > 0 ? .bytes(total) : .endOfStream }
            if errno == EINTR { continue }
            if errno == EAGAIN || errno == EWOULDBLOCK { break }
            return total > 0 ? .bytes(total) : .error
        }
        return total > 0 ? .bytes(total) : .wouldBlock
    }
}
