import AirlockEngine
import AirlockEvents
import AirlockTLSWire

/// A connection found carrying DNS around the sanctioned resolver.
public struct BypassFinding: Sendable {
    /// Stable id of the kind, e.g. `dns-over-https`.
    public var kind: String
    /// The TLS server name the client asked for, if it sent one.
    public var serverName: String?
    /// One line for an analyst: what was seen and why it counts.
    public var reason: String
}

/// Reads the first client bytes of a flow (TLS ClientHello → SNI, ALPN) and asks the engine's
/// resolver-bypass classifier whether the flow is DoH, DoT, DoQ or DNSCrypt.
public struct BypassDetector: Sendable {
    private let classifier: ResolverBypassClassifier

    public init(classifier: ResolverBypassClassifier = ResolverBypassClassifier()) {
        self.classifier = classifier
    }

    /// Classifies a flow to `destination` from its first client bytes (a ClientHello for TLS flows).
    public func inspect(destination: Endpoint, transport: Transport, firstClientPayload: Span<UInt8>) -> BypassFinding? {
        var sni: String?
        var alpn: [String] = []
        if transport == .tcp, case .clientHello(let hello) = ClientHelloParser.parse(firstClientPayload) {
            sni = hello.serverName?.hostName
            alpn = hello.alpnProtocols
        }
        guard
            let bypass = classifier.classify(
                destination: destination, transport: transport, sni: sni, alpn: alpn)
        else { return nil }
        return BypassFinding(kind: bypass.kind.rawValue, serverName: sni, reason: bypass.reason)
    }
}
