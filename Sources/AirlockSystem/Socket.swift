import AirlockEvents
import CAirlockSys

#if canImport(Glibc)
    import Glibc
#endif

/// Thin wrappers over socket system calls: every failure becomes a ``SystemError`` naming the call.
/// Descriptors are plain `Int32`s owned by whoever opened them (the worker closes what it opens).
package enum Socket {
    package enum Kind {
        case udp
        case tcp

        var type: Int32 {
            switch self {
            case .udp: return Int32(SOCK_DGRAM.rawValue)
            case .tcp: return Int32(SOCK_STREAM.rawValue)
            }
        }
    }

    package static func family(_ endpoint: Endpoint) -> Int32 { endpoint.address.isIPv4 ? AF_INET : AF_INET6 }

    /// A non-blocking, close-on-exec socket for `endpoint`'s family.
    package static func open(_ kind: Kind, for endpoint: Endpoint) throws(SystemError) -> Int32 {
        let fd = socket(family(endpoint), kind.type | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SystemError("socket") }
        return fd
    }

    package static func setOption(_ fd: Int32, _ level: Int32, _ name: Int32, _ value: Int32, _ what: String)
        throws(SystemError)
    {
        var value = value
        guard setsockopt(fd, level, name, &value, socklen_t(MemoryLayout<Int32>.size)) == 0 else {
            throw SystemError("setsockopt \(what)")
        }
    }

    /// A listening socket on `endpoint`, shared with the other workers through SO_REUSEPORT (the
    /// kernel spreads clients across them). IPv6 sockets are IPv6-only so `[::]` and `0.0.0.0` can
    /// both be served.
    package static func listener(_ kind: Kind, on endpoint: Endpoint) throws(SystemError) -> Int32 {
        let fd = try open(kind, for: endpoint)
        do throws(SystemError) {
            try setOption(fd, SOL_SOCKET, SO_REUSEADDR, 1, "SO_REUSEADDR")
            try setOption(fd, SOL_SOCKET, SO_REUSEPORT, 1, "SO_REUSEPORT")
            if !endpoint.address.isIPv4 { try setOption(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, 1, "IPV6_V6ONLY") }
            if kind == .udp {
                try setOption(fd, SOL_SOCKET, SO_RCVBUF, 4 << 20, "SO_RCVBUF")
                try setOption(fd, SOL_SOCKET, SO_SNDBUF, 4 << 20, "SO_SNDBUF")
            }
            let bound = SocketAddress.with(endpoint) { bind(fd, $0, $1) }
            guard bound == 0 else {
                throw SystemError("bind \(kind == .udp ? "udp" : "tcp") \(endpoint)")
            }
            if kind == .tcp {
                try setOption(fd, Int32(IPPROTO_TCP), TCP_NODELAY, 1, "TCP_NODELAY")
                guard listen(fd, 256) == 0 else { throw SystemError("listen \(endpoint)") }
            }
        } catch {
            close(fd)
            throw error
        }
        return fd
    }

    /// A UDP socket connected to `upstream`: the kernel gives it a random ephemeral source port,
    /// delivers only datagrams from that upstream, and reports ICMP unreachable as ECONNREFUSED.
    package static func connectedUDP(to upstream: Endpoint) throws(SystemError) -> Int32 {
        let fd = try open(.udp, for: upstream)
        // Answers arrive in bursts (a batch of queries goes out in one sendmmsg); the default buffer
        // (~200 KB, a few hundred small datagrams by kernel accounting) overflows under load and every
        // dropped answer becomes a timeout. Capped by net.core.rmem_max; failure is not fatal.
        try? setOption(fd, SOL_SOCKET, SO_RCVBUF, 4 << 20, "SO_RCVBUF")
        let result = SocketAddress.with(upstream) { connect(fd, $0, $1) }
        guard result == 0 else {
            let code = errno
            close(fd)
            throw SystemError("connect udp \(upstream)", code: code)
        }
        return fd
    }

    /// Starts a non-blocking TCP connect; completion shows as writability.
    package static func startTCP(to upstream: Endpoint) throws(SystemError) -> Int32 {
        let fd = try open(.tcp, for: upstream)
        try? setOption(fd, Int32(IPPROTO_TCP), TCP_NODELAY, 1, "TCP_NODELAY")
        let result = SocketAddress.with(upstream) { connect(fd, $0, $1) }
        guard result == 0 || errno == EINPROGRESS else {
            let code = errno
            close(fd)
            throw SystemError("connect tcp \(upstream)", code: code)
        }
        return fd
    }

    /// The pending error of a socket (SO_ERROR), 0 when none.
    package static func pendingError(_ fd: Int32) -> Int32 {
        var value: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(fd, SOL_SOCKET, SO_ERROR, &value, &length) == 0 else { return errno }
        return value
    }

    /// Accepts one connection (non-blocking); nil when none is waiting.
    package static func accept(_ listener: Int32) -> (fd: Int32, peer: Endpoint)? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let fd = withUnsafeMutablePointer(to: &storage) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                airlock_accept(listener, $0, &length)
            }
        }
        guard fd >= 0 else { return nil }
        guard let peer = SocketAddress.read(&storage) else {
            close(fd)
            return nil
        }
        return (fd, peer)
    }

    /// The address a socket is bound to (for listeners bound to port 0 in tests).
    package static func localEndpoint(_ fd: Int32) -> Endpoint? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let result = withUnsafeMutablePointer(to: &storage) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard result == 0 else { return nil }
        return SocketAddress.read(&storage)
    }

    /// Reads what is available into `scratch` and appends it to `buffer`; returns bytes read, 0 at
    /// end of stream, nil when nothing is ready, -errno on error.
    package static func read(_ fd: Int32, into buffer: inout [UInt8], scratch: UnsafeMutableRawBufferPointer) -> Int? {
        let n = Glibc.read(fd, scratch.baseAddress, scratch.count)
        if n < 0 {
            let code = errno
            if code == EAGAIN || code == EWOULDBLOCK || code == EINTR { return nil }
            return -Int(code)
        }
        buffer.append(contentsOf: UnsafeRawBufferPointer(rebasing: scratch[0..<n]))
        return n
    }

    /// Writes as much of `bytes[offset...]` as the socket takes; returns the count, nil when it
    /// would block, -errno on error.
    package static func write(_ fd: Int32, _ bytes: [UInt8], from offset: Int) -> Int? {
        let n = bytes.withUnsafeBytes {
            Glibc.send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL))
        }
        if n < 0 {
            if errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR { return nil }
            return -Int(errno)
        }
        return n
    }

    /// Sends one datagram on a connected socket; false on error (errno set).
    package static func send(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } >= 0
    }

    /// Receives one datagram from a connected socket into `buffer`; the count, nil when none is
    /// waiting, -errno on error (ECONNREFUSED: the upstream port is closed).
    package static func receive(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) -> Int? {
        let n = recv(fd, buffer.baseAddress, buffer.count, Int32(MSG_DONTWAIT))
        if n < 0 {
            if errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR { return nil }
            return -Int(errno)
        }
        return n
    }
}
