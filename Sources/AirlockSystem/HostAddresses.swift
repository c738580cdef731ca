import AirlockEvents

#if canImport(Glibc)
    import Glibc
#endif

/// The addresses of this host's interfaces (`getifaddrs`), every family Airlock speaks: what the
/// HTTP proxy must never connect to on a sandbox's behalf (its metrics and control ports, the DNS
/// listener, anything else the host runs on any of its addresses, not only loopback).
public enum HostAddresses {
    /// Every IPv4 and IPv6 address on every interface now (IPv4-mapped forms are not listed; the
    /// egress check unmaps before comparing). Empty if the kernel refuses the call.
    public static func current() -> Set<IPAddress> {
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0, let first = list else { return [] }
        defer { freeifaddrs(first) }
        var out: Set<IPAddress> = []
        var entry: UnsafeMutablePointer<ifaddrs>? = first
        while let current = entry {
            if let address = current.pointee.ifa_addr {
                let family = Int32(address.pointee.sa_family)
                if family == AF_INET || family == AF_INET6 {
                    let endpoint = address.withMemoryRebound(to: sockaddr_storage.self, capacity: 1) {
                        SocketAddress.read($0)
                    }
                    if let endpoint { out.insert(endpoint.address) }
                }
            }
            entry = current.pointee.ifa_next
        }
        return out
    }
}
