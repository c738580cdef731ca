import AirlockEvents

#if canImport(Glibc)
    import Glibc
#endif

/// Conversions between ``Endpoint`` and the kernel's socket addresses. The only place that lays out
/// `sockaddr_in`/`sockaddr_in6` bytes.
package enum SocketAddress {
    /// Writes `endpoint` into `storage`; returns the length to pass with it.
    package static func write(_ endpoint: Endpoint, into storage: UnsafeMutablePointer<sockaddr_storage>) -> socklen_t {
        switch endpoint.address {
        case .v4(let value):
            return storage.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { sin in
                sin.pointee = sockaddr_in()
                sin.pointee.sin_family = sa_family_t(AF_INET)
                sin.pointee.sin_port = endpoint.port.bigEndian
                sin.pointee.sin_addr = in_addr(s_addr: value.bigEndian)
                return socklen_t(MemoryLayout<sockaddr_in>.size)
            }
        case .v6:
            let bytes = endpoint.address.bytes
            return storage.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { sin6 in
                sin6.pointee = sockaddr_in6()
                sin6.pointee.sin6_family = sa_family_t(AF_INET6)
                sin6.pointee.sin6_port = endpoint.port.bigEndian
                withUnsafeMutableBytes(of: &sin6.pointee.sin6_addr) { raw in
                    for i in 0..<16 { raw[i] = bytes[i] }
                }
                return socklen_t(MemoryLayout<sockaddr_in6>.size)
            }
        }
    }

    /// Reads an endpoint from a socket address; nil for families other than IPv4 and IPv6.
    package static func read(_ storage: UnsafePointer<sockaddr_storage>) -> Endpoint? {
        switch Int32(storage.pointee.ss_family) {
        case AF_INET:
            return storage.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { sin in
                Endpoint(
                    address: .v4(UInt32(bigEndian: sin.pointee.sin_addr.s_addr)),
                    port: UInt16(bigEndian: sin.pointee.sin_port))
            }
        case AF_INET6:
            return storage.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { sin6 in
                var copy = sin6.pointee.sin6_addr
                let address = withUnsafeBytes(of: &copy) { IPAddress(bytes: $0) }
                return address.map { Endpoint(address: $0, port: UInt16(bigEndian: sin6.pointee.sin6_port)) }
            }
        default:
            return nil
        }
    }

    /// Runs `body` with `endpoint` as a `sockaddr` pointer and length.
    package static func with<R>(_ endpoint: Endpoint, _ body: (UnsafePointer<sockaddr>, socklen_t) -> R) -> R {
        var storage = sockaddr_storage()
        let length = write(endpoint, into: &storage)
        return withUnsafePointer(to: &storage) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, length) }
        }
    }
}
