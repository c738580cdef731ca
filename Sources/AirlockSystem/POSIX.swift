import AirlockEvents

#if canImport(Glibc)
    import Glibc
#endif

/// Blocking calls with timeouts (`poll`) for the alert sinks and the spool: name resolution, stream
/// and datagram sockets, files. The event-loop servers use ``Socket`` (non-blocking, epoll) instead.
/// Everything above it deals in `[UInt8]` and ``SystemError``.
package enum POSIX {
    /// Resolves `host` (an IP literal or a name) to socket addresses of `type` (SOCK_STREAM/DGRAM).
    package static func resolve(host: String, port: UInt16, type: Int32) throws(SystemError) -> [ResolvedAddress] {
        guard isValidHost(host) else {
            throw SystemError("resolve '\(host)': not an IP address or host name", code: EINVAL)
        }
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = type
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0, let first = list else {
            throw SystemError("resolve \(host): " + String(cString: gai_strerror(status)), code: EINVAL)
        }
        defer { freeaddrinfo(first) }
        var out: [ResolvedAddress] = []
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let entry = cursor {
            if let addr = entry.pointee.ai_addr {
                var storage = sockaddr_storage()
                let length = Int(entry.pointee.ai_addrlen)
                withUnsafeMutableBytes(of: &storage) { dst in
                    dst.copyMemory(from: UnsafeRawBufferPointer(start: addr, count: min(length, dst.count)))
                }
                out.append(
                    ResolvedAddress(
                        family: entry.pointee.ai_family, storage: storage, length: socklen_t(length),
                        text: "\(host):\(port)"))
            }
            cursor = entry.pointee.ai_next
        }
        return out
    }

    /// An IP literal, or a host name of letters, digits, `-` and `_` in dot-separated labels: what
    /// is checked before asking the resolver, so garbage never turns into a DNS query.
    package static func isValidHost(_ host: String) -> Bool {
        if IPAddress(host) != nil { return true }
        guard !host.isEmpty, host.utf8.count <= 253 else { return false }
        let trimmed = host.hasSuffix(".") ? String(host.dropLast()) : host
        return trimmed.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { label in
            !label.isEmpty && label.count <= 63 && !label.hasPrefix("-")
                && label.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }
        }
    }

    package static func socket(family: Int32, type: Int32) throws(SystemError) -> Int32 {
        let fd = Glibc.socket(family, type | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SystemError("socket") }
        return fd
    }

    package static func setNonBlocking(_ fd: Int32, _ on: Bool) {
        let flags = fcntl(fd, F_GETFL, 0)
        _ = fcntl(fd, F_SETFL, on ? flags | O_NONBLOCK : flags & ~O_NONBLOCK)
    }

    /// Waits until `fd` is readable (or writable); false on timeout.
    package static func wait(_ fd: Int32, writable: Bool, timeoutMilliseconds: Int) throws(SystemError) -> Bool {
        var pfd = pollfd(fd: fd, events: Int16(writable ? POLLOUT : POLLIN), revents: 0)
        while true {
            let n = poll(&pfd, 1, Int32(clamping: timeoutMilliseconds))
            if n > 0 { return true }
            if n == 0 { return false }
            if errno != EINTR { throw SystemError("poll") }
        }
    }

    package static func connect(_ address: ResolvedAddress, type: Int32, timeoutMilliseconds: Int) throws(SystemError) -> Int32 {
        let fd = try socket(family: address.family, type: type)
        setNonBlocking(fd, true)
        var storage = address.storage
        let result = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, address.length) }
        }
        if result != 0 {
            let code = errno
            guard code == EINPROGRESS else {
                close(fd)
                throw SystemError("connect \(address.text)", code: code)
            }
            let ready: Bool
            do { ready = try wait(fd, writable: true, timeoutMilliseconds: timeoutMilliseconds) } catch {
                close(fd)
                throw error
            }
            guard ready else {
                close(fd)
                throw SystemError("connect \(address.text)", code: ETIMEDOUT)
            }
            var soError: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &soError, &length)
            if soError != 0 {
                close(fd)
                throw SystemError("connect \(address.text)", code: soError)
            }
        }
        return fd
    }

    /// Writes all of `bytes`, waiting up to `timeoutMilliseconds` for room each time.
    package static func sendAll(_ fd: Int32, _ bytes: [UInt8], timeoutMilliseconds: Int) throws(SystemError) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { raw in
                send(fd, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
            }
            if n > 0 {
                offset += n
                continue
            }
            let code = errno
            if n < 0 && (code == EAGAIN || code == EWOULDBLOCK) {
                guard try wait(fd, writable: true, timeoutMilliseconds: timeoutMilliseconds) else {
                    throw SystemError("send", code: ETIMEDOUT)
                }
                continue
            }
            if n < 0 && code == EINTR { continue }
            throw SystemError("send", code: code)
        }
    }

    /// Reads up to `max` bytes; empty at end of stream; throws on timeout.
    package static func receive(_ fd: Int32, max: Int, timeoutMilliseconds: Int) throws(SystemError) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: max)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress!, $0.count, 0) }
            if n >= 0 { return Array(buffer.prefix(n)) }
            let code = errno
            if code == EAGAIN || code == EWOULDBLOCK {
                guard try wait(fd, writable: false, timeoutMilliseconds: timeoutMilliseconds) else {
                    throw SystemError("receive", code: ETIMEDOUT)
                }
                continue
            }
            if code == EINTR { continue }
            throw SystemError("receive", code: code)
        }
    }

    package static func sendDatagram(_ fd: Int32, _ bytes: [UInt8]) throws(SystemError) {
        let n = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        if n < 0 { throw SystemError("send") }
    }

    /// A listening TCP socket on `address` (port 0 picks a free port); returns the fd and the port.
    package static func listen(_ address: ResolvedAddress, backlog: Int32 = 64) throws(SystemError) -> (Int32, UInt16) {
        let fd = try socket(family: address.family, type: Int32(SOCK_STREAM.rawValue))
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var storage = address.storage
        let bound = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, address.length) }
        }
        guard bound == 0 else {
            let code = errno
            close(fd)
            throw SystemError("bind \(address.text)", code: code)
        }
        guard Glibc.listen(fd, backlog) == 0 else {
            let code = errno
            close(fd)
            throw SystemError("listen \(address.text)", code: code)
        }
        var actual = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        let port: UInt16 = withUnsafeBytes(of: &actual) { raw in
            // sin_port and sin6_port sit at the same offset (2), in network order.
            UInt16(raw[2]) << 8 | UInt16(raw[3])
        }
        setNonBlocking(fd, true)
        return (fd, port)
    }

    /// Accepts one connection, waiting up to `timeoutMilliseconds`; nil on timeout.
    package static func accept(_ fd: Int32, timeoutMilliseconds: Int) throws(SystemError) -> Int32? {
        guard try wait(fd, writable: false, timeoutMilliseconds: timeoutMilliseconds) else { return nil }
        let client = Glibc.accept(fd, nil, nil)
        if client < 0 {
            if errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR || errno == ECONNABORTED { return nil }
            throw SystemError("accept")
        }
        setNonBlocking(client, true)
        return client
    }

    package static func close(_ fd: Int32) { _ = Glibc.close(fd) }

    // MARK: Files

    package static func openAppend(_ path: String) throws(SystemError) -> Int32 {
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw SystemError("open \(path)") }
        return fd
    }

    /// Writes all bytes to a file descriptor (files: no timeout, `write` blocks only on the disk).
    package static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws(SystemError) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 {
                if errno == EINTR { continue }
                throw SystemError("write \(path)")
            }
            offset += n
        }
    }

    package static func fsync(_ fd: Int32, path: String) throws(SystemError) {
        guard fdatasync(fd) == 0 else { throw SystemError("fsync \(path)") }
    }

    /// Makes a rename or unlink in `directory` durable.
    package static func fsyncDirectory(_ directory: String) {
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        _ = Glibc.fsync(fd)
        _ = Glibc.close(fd)
    }

    package static func truncate(_ fd: Int32, to length: Int) { _ = ftruncate(fd, off_t(length)) }

    package static var processID: Int32 { getpid() }

    package static var hostName: String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "-" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// A socket address from `getaddrinfo`, kept by value.
package struct ResolvedAddress: @unchecked Sendable {
    package var family: Int32
    package var storage: sockaddr_storage
    package var length: socklen_t
    package var text: String
}

