import AirlockEvents

/// Decides whether a connection or a DNS query goes around Airlock's DNS path to another resolver.
///
/// Pure and cheap: a few dictionary look-ups per call, meant to run once per new flow (with the SNI
/// and ALPN from its ClientHello when there is one) and once per DNS query event. Rules, first
/// match decides the kind; every other matching fact is added as supporting evidence:
///
/// 1. ALPN `dot` → DoT, on any port. ALPN `doq`, or UDP/853 → DoQ.
/// 2. TCP/853 → DoT, whatever the address (853 is DoT's port, RFC 7858).
/// 3. Port 53 → plain DNS to another resolver when the address is a listed public resolver, or,
///    once ``sanctionedResolvers`` is set, when it is anything outside that set.
/// 4. A listed DNSCrypt address:port with no TLS seen (no SNI, no ALPN) → DNSCrypt.
/// 5. SNI matching a listed resolver host name (label-suffix, case-insensitive) → DoH, any port
///    (dnscrypt.ca serves DoH on 453, seby.io on 8443).
/// 6. Port 443 (TCP, or UDP for HTTP/3) to a listed resolver address → DoH, even without SNI.
public struct ResolverBypassClassifier: Sendable {
    public var endpoints: KnownResolverEndpoints
    /// Resolvers the sandbox is allowed to use for plain DNS (Airlock's own, the site resolver).
    /// Empty means unknown: then only listed public resolvers count as "another resolver" on port 53.
    public var sanctionedResolvers: Set<IPAddress>

    public static let dnsPort: UInt16 = 53
    public static let encryptedDNSPort: UInt16 = 853
    public static let httpsPort: UInt16 = 443

    public init(endpoints: KnownResolverEndpoints = .defaults, sanctionedResolvers: Set<IPAddress> = []) {
        self.endpoints = endpoints
        self.sanctionedResolvers = Set(sanctionedResolvers.map(KnownResolverEndpoints.canonical))
    }

    /// Classifies one flow.
    /// - Parameters:
    ///   - destination: the server end of the flow.
    ///   - sni: the ClientHello's server name, if TLS was seen and it had one.
    ///   - alpn: the ClientHello's ALPN ids (empty when none or not TLS).
    /// - Returns: nil when nothing marks the flow as DNS to another resolver.
    public func classify(destination: Endpoint, transport: Transport, sni: String?, alpn: [String]) -> ResolverBypass? {
        let port = destination.port
        let addressEntry = endpoints.address(destination.address)
        let hostEntry = sni.flatMap { endpoints.hostName(matching: $0) }

        var decisive: [ResolverBypassEvidence] = []
        let kind: ResolverBypassKind
        if let id = alpn.first(where: { Self.equalsIgnoringCase($0, "dot") }) {
            kind = .dnsOverTLS
            decisive.append(.alpn(id))
            if port == Self.encryptedDNSPort { decisive.append(.dnsPort(port, transport)) }
        } else if let id = alpn.first(where: { Self.equalsIgnoringCase($0, "doq") }) {
            kind = .dnsOverQUIC
            decisive.append(.alpn(id))
            if port == Self.encryptedDNSPort { decisive.append(.dnsPort(port, transport)) }
        } else if port == Self.encryptedDNSPort {
            kind = transport == .udp ? .dnsOverQUIC : .dnsOverTLS
            decisive.append(.dnsPort(port, transport))
        } else if port == Self.dnsPort {
            return classifyPlainDNS(destination: destination, transport: transport, addressEntry: addressEntry)
        } else if sni == nil && alpn.isEmpty, let server = endpoints.dnsCryptServer(at: destination) {
            kind = .dnsCrypt
            decisive.append(.dnsCryptServer(destination, provider: server.provider))
        } else if hostEntry != nil {
            kind = .dnsOverHTTPS
        } else if addressEntry != nil && port == Self.httpsPort {
            kind = .dnsOverHTTPS
        } else {
            return nil
        }

        var evidence = decisive
        if let sni, let hostEntry {
            evidence.append(
                .resolverHostName(
                    sni: KnownResolverEndpoints.normalise(sni), entry: hostEntry.pattern, provider: hostEntry.provider))
        }
        if let addressEntry {
            evidence.append(.resolverAddress(destination.address, provider: addressEntry.provider))
        }
        return ResolverBypass(kind: kind, destination: destination, transport: transport, evidence: evidence)
    }

    /// Classifies one DNS query seen on Airlock's DNS path: a DNSCrypt certificate fetch (to any
    /// port), or plain DNS to another resolver (port 53).
    public func classify(query: DNSQueryEvent) -> ResolverBypass? {
        if query.qtype == DNSRecordType.txt, Self.isDNSCryptCertificateName(query.name) {
            var evidence: [ResolverBypassEvidence] = [.dnsCryptCertificateQuery(name: query.name.description)]
            if let server = endpoints.dnsCryptServer(at: query.server) {
                evidence.append(.dnsCryptServer(query.server, provider: server.provider))
            }
            return ResolverBypass(
                kind: .dnsCrypt, destination: query.server, transport: query.transport, evidence: evidence)
        }
        guard query.server.port == Self.dnsPort else { return nil }
        return classifyPlainDNS(
            destination: query.server, transport: query.transport, addressEntry: endpoints.address(query.server.address)
        )
    }

    /// DNSCrypt clients start by asking the resolver for its certificate: a TXT query for the
    /// provider name, which by convention is `2.dnscrypt-cert.<provider>` (AdGuard uses
    /// `2.dnscrypt.<…>`): first label `2`, second label starting with `dnscrypt`, then the provider's zone.
    public static func isDNSCryptCertificateName(_ name: DNSName) -> Bool {
        let wire = name.wire
        guard wire.count >= 11, wire[0] == 1, wire[1] == 0x32 else { return false }
        let second = Int(wire[2])
        let prefix: [UInt8] = Array("dnscrypt".utf8)
        guard second >= prefix.count, wire.count > 3 + second else { return false }
        return wire[3..<(3 + prefix.count)].elementsEqual(prefix)
    }

    private func classifyPlainDNS(
        destination: Endpoint, transport: Transport, addressEntry: KnownResolverEndpoints.Address?
    )
        -> ResolverBypass?
    {
        let address = KnownResolverEndpoints.canonical(destination.address)
        if sanctionedResolvers.contains(address) { return nil }
        guard addressEntry != nil || !sanctionedResolvers.isEmpty else { return nil }
        var evidence: [ResolverBypassEvidence] = [.dnsPort(destination.port, transport)]
        if let addressEntry { evidence.append(.resolverAddress(destination.address, provider: addressEntry.provider)) }
        return ResolverBypass(
            kind: .plainDNSToOtherResolver, destination: destination, transport: transport, evidence: evidence)
    }

    /// ASCII case-insensitive equality without allocating.
    static func equalsIgnoringCase(_ a: String, _ b: String) -> Bool {
        a.utf8.count == b.utf8.count
            && zip(a.utf8, b.utf8).allSatisfy { x, y in
                (x >= 0x41 && x <= 0x5A ? x | 0x20 : x) == y
            }
    }
}
