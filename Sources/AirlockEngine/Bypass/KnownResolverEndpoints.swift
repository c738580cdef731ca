import AirlockEvents

/// Public encrypted-DNS resolvers, by host name (matched against SNI), address and DNSCrypt endpoint.
///
/// A list can only ever be partial: anyone can run a DoH server on any name. It catches the
/// resolvers that tools and libraries reach for by default, which is what an agent or a piece of
/// malware in a sandbox most likely uses. Policy can extend it with ``merging(_:)``.
public struct KnownResolverEndpoints: Sendable {
    /// A resolver host name. With `includesSubdomains`, every name below it matches too
    /// (`*.cloudflare-dns.com` covers `mozilla.cloudflare-dns.com`); matching is on label boundaries.
    public struct HostName: Sendable, Hashable {
        /// Lower-case, no trailing dot.
        public var name: String
        public var includesSubdomains: Bool
        public var provider: String

        public init(_ name: String, includesSubdomains: Bool = false, provider: String) {
            self.name = KnownResolverEndpoints.normalise(name)
            self.includesSubdomains = includesSubdomains
            self.provider = provider
        }

        /// `name`, or `*.name` when subdomains are covered.
        public var pattern: String { includesSubdomains ? "*." + name : name }
    }

    public struct Address: Sendable, Hashable {
        public var address: IPAddress
        public var provider: String

        public init(_ address: IPAddress, provider: String) {
            self.address = address
            self.provider = provider
        }
    }

    public struct DNSCryptServer: Sendable, Hashable {
        public var endpoint: Endpoint
        public var provider: String

        public init(_ endpoint: Endpoint, provider: String) {
            self.endpoint = endpoint
            self.provider = provider
        }
    }

    public private(set) var hostNames: [HostName]
    public private(set) var addresses: [Address]
    public private(set) var dnsCryptServers: [DNSCryptServer]
    private var hostIndex: [String: HostName] = [:]
    private var addressIndex: [IPAddress: Address] = [:]
    private var dnsCryptIndex: [Endpoint: DNSCryptServer] = [:]

    public init(hostNames: [HostName], addresses: [Address], dnsCryptServers: [DNSCryptServer]) {
        self.hostNames = []
        self.addresses = []
        self.dnsCryptServers = []
        add(hostNames: hostNames, addresses: addresses, dnsCryptServers: dnsCryptServers)
    }

    /// An empty list (plain-DNS rules with sanctioned resolvers and port/ALPN rules still apply).
    public static let none = KnownResolverEndpoints(hostNames: [], addresses: [], dnsCryptServers: [])

    /// This list plus `other`'s entries; on a duplicate key the later entry wins.
    public func merging(_ other: KnownResolverEndpoints) -> KnownResolverEndpoints {
        var merged = self
        merged.add(hostNames: other.hostNames, addresses: other.addresses, dnsCryptServers: other.dnsCryptServers)
        return merged
    }

    private mutating func add(hostNames: [HostName], addresses: [Address], dnsCryptServers: [DNSCryptServer]) {
        for entry in hostNames where !entry.name.isEmpty {
            if hostIndex.updateValue(entry, forKey: entry.name) != nil {
                self.hostNames.removeAll { $0.name == entry.name }
            }
            self.hostNames.append(entry)
        }
        for entry in addresses {
            let key = Self.canonical(entry.address)
            if addressIndex.updateValue(entry, forKey: key) != nil {
                self.addresses.removeAll { Self.canonical($0.address) == key }
            }
            self.addresses.append(entry)
        }
        for entry in dnsCryptServers {
            let key = Endpoint(address: Self.canonical(entry.endpoint.address), port: entry.endpoint.port)
            if dnsCryptIndex.updateValue(entry, forKey: key) != nil {
                self.dnsCryptServers.removeAll { $0.endpoint == entry.endpoint }
            }
            self.dnsCryptServers.append(entry)
        }
    }

    /// The most specific entry covering `sni`: the name itself, or the nearest listed parent that
    /// includes subdomains. Case-insensitive; a trailing dot is ignored.
    public func hostName(matching sni: String) -> HostName? {
        let name = Self.normalise(sni)
        guard !name.isEmpty else { return nil }
        if let exact = hostIndex[name] { return exact }
        var rest = Substring(name)
        while let dot = rest.firstIndex(of: ".") {
            rest = rest[rest.index(after: dot)...]
            if let parent = hostIndex[String(rest)], parent.includesSubdomains { return parent }
        }
        return nil
    }

    /// The entry for `address` (an IPv4-mapped IPv6 address matches its IPv4 entry).
    public func address(_ address: IPAddress) -> Address? {
        addressIndex[Self.canonical(address)]
    }

    /// The DNSCrypt server listening at exactly this address and port.
    public func dnsCryptServer(at endpoint: Endpoint) -> DNSCryptServer? {
        dnsCryptIndex[Endpoint(address: Self.canonical(endpoint.address), port: endpoint.port)]
    }

    /// ASCII lower case, one trailing dot removed.
    static func normalise(_ name: String) -> String {
        var bytes = Array(name.utf8)
        if bytes.last == 0x2E { bytes.removeLast() }
        for i in bytes.indices where bytes[i] >= 0x41 && bytes[i] <= 0x5A { bytes[i] |= 0x20 }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// `::ffff:a.b.c.d` → `a.b.c.d`, so a dual-stack socket's view of an IPv4 peer still matches.
    static func canonical(_ address: IPAddress) -> IPAddress {
        if case .v6(let high, let low) = address, high == 0, low >> 32 == 0xFFFF {
            return .v4(UInt32(truncatingIfNeeded: low))
        }
        return address
    }
}
