import AirlockEvents

/// Address ranges a sandbox must not reach through DNS answers or HTTP connections unless the
/// policy says so: private, loopback, link-local and other non-global ranges (RFC 6890 registries).
///
/// Reaching them is how a sandboxed agent gets at the host, the cloud metadata service
/// (169.254.169.254) or the internal network; DNS rebinding is the same attack with a public name
/// that answers with one of these addresses.
public enum SpecialAddress {
    /// The non-global ranges, each with the words a reason uses. 198.18.0.0/15 (benchmarking) is here
    /// too: test namespaces use it, so test policies allow it explicitly.
    public static let ranges: [(cidr: CIDR, category: String)] = [
        ("0.0.0.0/8", "\"this network\" (RFC 1122)"),
        ("10.0.0.0/8", "private (RFC 1918)"),
        ("100.64.0.0/10", "shared address space (RFC 6598)"),
        ("127.0.0.0/8", "loopback"),
        ("169.254.0.0/16", "link-local (cloud metadata lives here)"),
        ("172.16.0.0/12", "private (RFC 1918)"),
        ("192.0.0.0/24", "IETF protocol assignments"),
        ("192.0.2.0/24", "documentation (TEST-NET-1)"),
        ("192.168.0.0/16", "private (RFC 1918)"),
        ("198.18.0.0/15", "benchmarking (RFC 2544)"),
        ("198.51.100.0/24", "documentation (TEST-NET-2)"),
        ("203.0.113.0/24", "documentation (TEST-NET-3)"),
        ("224.0.0.0/4", "multicast"),
        ("240.0.0.0/4", "reserved"),
        ("::/128", "unspecified"),
        ("::1/128", "loopback"),
        ("64:ff9b:1::/48", "local-use NAT64 (RFC 8215)"),
        ("100::/64", "discard-only (RFC 6666)"),
        ("2001:db8::/32", "documentation"),
        ("fc00::/7", "unique local (private)"),
        ("fe80::/10", "link-local"),
        ("ff00::/8", "multicast"),
    ].map { (try! CIDR.parse($0.0).get(), $0.1) }

    /// The category of a non-global address (`"loopback"`, `"private (RFC 1918)"`...), nil for a
    /// global one. IPv4-mapped and NAT64 (64:ff9b::/96) addresses are judged by the IPv4 inside.
    public static func category(of address: IPAddress) -> String? {
        var address = address.unmappedIPv4
        if case .v6(let high, let low) = address, high == 0x0064_ff9b_0000_0000, low >> 32 == 0 {
            address = .v4(UInt32(truncatingIfNeeded: low))
        }
        switch address {
        case .v4(let v):
            for prefix in v4Prefixes where v & prefix.mask == prefix.network { return ranges[prefix.range].category }
        case .v6(let high, let low):
            for prefix in v6Prefixes where high & prefix.highMask == prefix.high && low & prefix.lowMask == prefix.low {
                return ranges[prefix.range].category
            }
        }
        return nil
    }

    /// `ranges` as plain integers, split by family, with the index of the range each came from.
    ///
    /// Every A and AAAA answer of every query the proxy forwards is checked here (rebinding), and
    /// almost all are global, so all ranges are tried: masking each `CIDR` (an enum per range, and
    /// the tuple's string carried along) cost 931 instructions a call.
    private static let v4Prefixes: [(network: UInt32, mask: UInt32, range: Int)] = ranges.indices.compactMap { i in
        guard case .v4(let network) = ranges[i].cidr.address else { return nil }
        let length = ranges[i].cidr.prefixLength
        return (network, length == 0 ? 0 : ~UInt32(0) << UInt32(32 - length), i)
    }

    private static let v6Prefixes: [(high: UInt64, low: UInt64, highMask: UInt64, lowMask: UInt64, range: Int)] =
        ranges.indices.compactMap { i in
            guard case .v6(let high, let low) = ranges[i].cidr.address else { return nil }
            let length = ranges[i].cidr.prefixLength
            let highMask: UInt64 = length >= 64 ? ~0 : (length == 0 ? 0 : ~UInt64(0) << UInt64(64 - length))
            let lowMask: UInt64 = length <= 64 ? 0 : (length >= 128 ? ~0 : ~UInt64(0) << UInt64(128 - length))
            return (high, low, highMask, lowMask, i)
        }

    /// Cloud metadata services: where instance credentials live. Link-local ones are private anyway;
    /// Azure's WireServer is a global address, so it needs its own entry. The HTTP proxy refuses them
    /// unless `allow_private_destinations` names them, and a DNS answer pointing at one raises a
    /// metadata-access alert: both read this one table.
    public static let metadataServices: [(address: IPAddress, service: String)] = [
        (IPAddress("169.254.169.254")!, "cloud instance metadata (AWS, GCP, Azure, OCI, OpenStack)"),
        (IPAddress("fd00:ec2::254")!, "AWS instance metadata (IPv6)"),
        (IPAddress("169.254.170.2")!, "AWS ECS task metadata"),
        (IPAddress("100.100.100.200")!, "Alibaba Cloud instance metadata"),
        (IPAddress("168.63.129.16")!, "Azure WireServer"),
    ]

    /// The metadata service at `address` (IPv4-mapped addresses judged by the IPv4 inside), nil when
    /// it is none.
    public static func metadataService(at address: IPAddress) -> String? {
        let address = address.unmappedIPv4
        return metadataServices.first { $0.address == address }?.service
    }
}
