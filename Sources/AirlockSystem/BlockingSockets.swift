#if canImport(Glibc)
    import Glibc
#endif

/// A connected TCP stream with timeouts on every operation. Owned by one thread at a time.
package final class TCPConnection: @unchecked Sendable {
    /// The socket, for a TLS session layered on it (`WebhookTransport`); this object still owns it.
    package private(set) var fd: Int32
    package let peer: String

    private init(fd: Int32, peer: String) {
        self.fd = fd
        self.peer = peer
    }

    /// Connects to the first address of `host` that answers within `timeoutMilliseconds`.
    package static func connect(host: String, port: UInt16, timeoutMilliseconds: Int) throws(SystemError) -> TCPConnection {
        var lastError = SystemError("connect \(host):\(port)", code: ECONNREFUSED)
        for address in try POSIX.resolve(host: host, port: port, type: streamType) {
            do {
                let fd = try POSIX.connect(address, type: streamType, timeoutMilliseconds: timeoutMilliseconds)
                return TCPConnection(fd: fd, peer: address.text)
            } catch {
                lastError = error
            }
        }
        throw lastError
    }

    package static func accepted(fd: Int32) -> TCPConnection { TCPConnection(fd: fd, peer: "client") }

    package func send(_ bytes: [UInt8], timeoutMilliseconds: Int) throws(SystemError) {
        try POSIX.sendAll(fd, bytes, timeoutMilliseconds: timeoutMilliseconds)
    }

    /// Up to `max` bytes; empty means the peer closed.
    package func receive(max: Int = 16384, timeoutMilliseconds: Int) throws(SystemError) -> [UInt8] {
        try POSIX.receive(fd, max: max, timeoutMilliseconds: timeoutMilliseconds)
    }

    /// Whether the peer has closed or reset the connection (readable with nothing to read, or an
    /// error): checked before reusing an idle connection so a dead receiver is noticed before sending.
    package var peerClosed: Bool {
        guard let readable = try? POSIX.wait(fd, writable: false, timeoutMilliseconds: 0) else { return true }
        guard readable else { return false }
        guard let bytes = try? POSIX.receive(fd, max: 1, timeoutMilliseconds: 0) else { return true }
        return bytes.isEmpty
    }

    package func close() {
        if fd >= 0 { POSIX.close(fd) }
        fd = -1
    }

    deinit { close() }

    package static var streamType: Int32 {
        Int32(SOCK_STREAM.rawValue)
    }
}

/// A connected UDP socket for fire-and-forget datagrams (syslog over UDP).
package final class UDPSender: @unchecked Sendable {
    private var fd: Int32

    package init(host: String, port: UInt16) throws(SystemError) {
        let type = Self.datagramType
        guard let address = try POSIX.resolve(host: host, port: port, type: type).first else {
            throw SystemError("resolve \(host)", code: EINVAL)
        }
        fd = try POSIX.connect(address, type: type, timeoutMilliseconds: 1000)
    }

    package func send(_ bytes: [UInt8]) throws(SystemError) { try POSIX.sendDatagram(fd, bytes) }

    package func close() {
        if fd >= 0 { POSIX.close(fd) }
        fd = -1
    }

    deinit { close() }

    package static var datagramType: Int32 {
        Int32(SOCK_DGRAM.rawValue)
    }
}

/// A listening TCP socket (the metrics endpoint, test receivers).
package final class TCPListener: @unchecked Sendable {
    private var fd: Int32
    package let port: UInt16

    package init(host: String, port: UInt16) throws(SystemError) {
        guard let address = try POSIX.resolve(host: host, port: port, type: TCPConnection.streamType).first else {
            throw SystemError("resolve \(host)", code: EINVAL)
        }
        (fd, self.port) = try POSIX.listen(address)
    }

    package func accept(timeoutMilliseconds: Int) throws(SystemError) -> TCPConnection? {
        guard fd >= 0 else { return nil }
        return try POSIX.accept(fd, timeoutMilliseconds: timeoutMilliseconds).map(TCPConnection.accepted)
    }

    package func close() {
        if fd >= 0 { POSIX.close(fd) }
        fd = -1
    }

    deinit { close() }
}
