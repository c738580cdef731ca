import AirlockEngine
import AirlockEvents
import AirlockPolicy
import AirlockTLSWire

/// The stateless checks of an egress request, in the order the proxy meets them: the target
/// (host and port), each address it resolved to, and the TLS ClientHello inside a CONNECT.
///
/// Built-in checks come before the policy's lists and cannot be allowed by them, because each one
/// closes a way around Airlock itself: DNS-over-TLS (port 853), DNS-over-HTTPS to a known public
/// resolver (the engine's list, on top of the policy's `doh_endpoints`), cloud metadata services,
/// Airlock's own host (every address it has, not only loopback), and a TLS server name that differs
/// from the host the policy approved (domain fronting).
public struct EgressGuard: Sendable {
    public var resolvers: KnownResolverEndpoints
    /// Whether a CONNECT tunnel may carry something other than TLS (its content is then unchecked).
    public var allowNonTLSTunnels: Bool

    public init(resolvers: KnownResolverEndpoints = .defaults, allowNonTLSTunnels: Bool = false) {
        self.resolvers = resolvers
        self.allowNonTLSTunnels = allowNonTLSTunnels
    }

    // MARK: Target

    /// Host and port, before any DNS: built-in bypass checks, then the sandbox's lists.
    public func decideTarget(_ sandbox: SandboxPolicy, host: String, port: UInt16) -> EgressDecision {
        if port == ResolverBypassClassifier.encryptedDNSPort {
            return EgressDecision(
                deny: true, mode: sandbox.mode, rule: "bypass.\(ResolverBypassKind.dnsOverTLS.rawValue)",
                reason: "'\(host)' port 853 is DNS-over-TLS: DNS must go through Airlock's resolver",
                kind: .resolverBypass)
        }
        if let entry = resolvers.hostName(matching: host) {
            return EgressDecision(
                deny: true, mode: sandbox.mode, rule: "bypass.\(ResolverBypassKind.dnsOverHTTPS.rawValue)",
                reason: "'\(host)' is a DNS-over-HTTPS resolver (\(entry.provider), built-in list entry "
                    + "\(entry.pattern)): DNS must go through Airlock's resolver", kind: .resolverBypass)
        }
        let decision = sandbox.decideHTTP(host: host, port: port)
        if decision.wouldBlock && decision.ruleID.contains("doh_endpoints") {
            return EgressDecision(decision, kind: .resolverBypass)
        }
        return EgressDecision(decision)
    }

    // MARK: Destination

    /// One resolved (or literal) address: Airlock's own host (`ownHost`; nil only when the operator
    /// turned the check off, for benchmarks on one machine), metadata services, then private
    /// ranges, then known public resolver addresses on the HTTPS port.
    public func decideAddress(
        _ sandbox: SandboxPolicy, address: IPAddress, port: UInt16, ownHost: OwnHostAddresses?
    ) -> EgressDecision {
        if let ownHost, ownHost.contains(address) {
            return EgressDecision(
                deny: true, mode: sandbox.mode, rule: "http.own_host",
                reason: "destination \(address) is an address of Airlock's own host: the services there (Airlock's "
                    + "metrics and control, its DNS listener, anything else on the host) are not egress",
                kind: .policyDenial)
        }
        let explicit = sandbox.http.allowPrivateDestinations.first { $0.cidr.contains(address) }
        if let service = SpecialAddress.metadataService(at: address) {
            if let rule = explicit {
                return EgressDecision(
                    deny: false, mode: sandbox.mode, rule: rule.id,
                    reason:
                        "destination \(address) is \(service), allowed by \(rule.cidr) (\(rule.id) at \(rule.location))",
                    kind: .routine)
            }
            return EgressDecision(
                deny: true, mode: sandbox.mode, rule: "http.metadata",
                reason: "destination \(address) is \(service); no entry in http.allow_private_destinations covers it",
                kind: .metadataAccess)
        }
        let decision = sandbox.decideHTTPDestination(address: address)
        if decision.wouldBlock { return EgressDecision(decision) }
        if port == ResolverBypassClassifier.httpsPort, let entry = resolvers.address(address) {
            return EgressDecision(
                deny: true, mode: sandbox.mode, rule: "bypass.\(ResolverBypassKind.dnsOverHTTPS.rawValue)",
                reason: "destination \(address) port 443 is a public DNS resolver (\(entry.provider))",
                kind: .resolverBypass)
        }
        return EgressDecision(decision)
    }

    // MARK: TLS

    /// The first bytes a client sent into a CONNECT tunnel. A tunnel to a name must carry TLS whose
    /// server name is that name; one to an IP literal may carry no server name (or that literal).
    /// ALPN `dot` and SNI of a known resolver are refused as resolver bypass.
    public func decideHello(
        _ sandbox: SandboxPolicy, connectHost: String, destination: Endpoint, parsed: ClientHelloParseResult
    ) -> EgressDecision {
        let hello: ClientHello
        switch parsed {
        case .clientHello(let h): hello = h
        case .notTLS:
            if allowNonTLSTunnels {
                return EgressDecision(
                    deny: false, mode: sandbox.mode, rule: "http.tunnel_tls",
                    reason: "tunnel to '\(connectHost)' carries something other than TLS (allowed by configuration)",
                    kind: .routine)
            }
            return EgressDecision(
                deny: true, mode: sandbox.mode, rule: "http.tunnel_tls",
                reason: "tunnel to '\(connectHost)' does not start with a TLS ClientHello; only TLS is relayed",
                kind: .policyDenial)
        case .unsupported(let error), .malformed(let error):
            return EgressDecision(
                deny: true, mode: sandbox.mode, rule: "http.tunnel_tls",
                reason: "tunnel to '\(connectHost)' starts with a malformed TLS ClientHello (\(error.rawValue))",
                kind: .policyDenial)
        case .needMoreData:
            return EgressDecision(
                deny: true, mode: sandbox.mode, rule: "http.tunnel_tls",
                reason: "tunnel to '\(connectHost)' ended or timed out before a complete TLS ClientHello",
                kind: .policyDenial)
        }
        let sni = hello.serverName.map { Self.normalised($0.hostName) }
        let host = Self.normalised(connectHost)
        let hostIsAddress = IPAddress(host) != nil
        let sniMatches: Bool
        if let sni {
            sniMatches = sni == host
        } else {
            sniMatches = hostIsAddress
        }
        if !sniMatches || hello.hasMultipleHostNames {
            let what = sni.map { "server name '\($0)'" } ?? "no server name"
            return EgressDecision(
                deny: true, mode: sandbox.mode, rule: "http.sni_mismatch",
                reason: "TLS ClientHello has \(what) but the tunnel was approved for '\(host)' (domain fronting)",
                kind: .sniMismatch)
        }
        let classifier = ResolverBypassClassifier(endpoints: resolvers)
        if let bypass = classifier.classify(
            destination: destination, transport: .tcp, sni: sni, alpn: hello.alpnProtocols)
        {
            return EgressDecision(
                deny: true, mode: sandbox.mode, rule: "bypass.\(bypass.kind.rawValue)",
                reason:
                    "tunnel to '\(host)' is \(bypass.kind.title) (\(bypass.evidence.map(\.description).joined(separator: "; ")))",
                kind: .resolverBypass)
        }
        return EgressDecision(
            deny: false, mode: sandbox.mode, rule: "http.sni_mismatch",
            reason: "TLS server name matches '\(host)'", kind: .routine)
    }

    /// Lower case, one trailing dot and IPv6 brackets removed.
    static func normalised(_ name: String) -> String {
        var s = Substring(name.lowercased())
        if s.hasSuffix(".") { s = s.dropLast() }
        if s.hasPrefix("[") && s.hasSuffix("]") { s = s.dropFirst().dropLast() }
        return String(s)
    }
}
