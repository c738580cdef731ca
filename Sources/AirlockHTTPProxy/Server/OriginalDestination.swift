import AirlockEvents

#if canImport(Glibc)
    import Glibc
#endif

/// Where a redirected connection was going before nftables' `redirect` rewrote it: the
/// SO_ORIGINAL_DST socket option (netfilter's conntrack entry), IPv4 and IPv6.
enum OriginalDestination {
    /// `SO_ORIGINAL_DST` (linux/netfilter_ipv4.h) and `IP6T_SO_ORIGINAL_DST` share the number 80.
    static let option: Int32 = 80

    /// The original destination of an accepted connection, nil when it was not redirected.
    static func of(_ fd: Int32) -> Endpoint? {
        var v4 = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        if getsockopt(fd, Int32(IPPROTO_IP), option, &v4, &length) == 0 {
            return Endpoint(address: .v4(UInt32(bigEndian: v4.sin_addr.s_addr)), port: UInt16(bigEndian: v4.sin_port))
        }
        var v6 = sockaddr_in6()
        length = socklen_t(MemoryLayout<sockaddr_in6>.size)
        if getsockopt(fd, Int32(IPPROTO_IPV6), option, &v6, &length) == 0 {
            let address = withUnsafeBytes(of: &v6.sin6_addr) { IPAddress(bytes: $0) }
            return address.map { Endpoint(address: $0, port: UInt16(bigEndian: v6.sin6_port)) }
        }
        return nil
    }
}
