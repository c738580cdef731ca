import AirlockEnforcement
import AirlockEvents
import AirlockHTTPWire
import AirlockTLSWire

extension ConnectionMachine {
    /// Transparent mode: a client that ignores proxy settings was redirected here by nftables (80 and
    /// 443). TLS is routed like a CONNECT to its SNI on the original port — the name the policy judges
    /// and the DNS path resolves is the SNI, never the address the client picked, so pointing a
    /// forbidden SNI at an allowed address (or the reverse) gets nowhere. Plain HTTP is a request
    /// whose Host header names the site.
    mutating func readTransparent(_ input: inout [UInt8], now: ProxyTime) -> [ConnectionAction] {
        guard let original = originalDestination else { return readHead(&input, now: now) }
        guard input.first == 22 else {
            transparentTLS = false
            return readHead(&input, now: now)
        }
        let parsed = ClientHelloParser.parse(input.span)
        if case .needMoreData = parsed { return [] }
        policy = context.policy
        let sandbox = policy.policy.sandbox(for: client.address)
        transparentTLS = true
        guard case .clientHello(let hello) = parsed else {
            let decision = context.egressGuard.decideHello(
                sandbox, connectHost: original.address.description, destination: original, parsed: parsed)
            note(.tls, .block, now: now, decision: decision, sandbox: sandbox)
            state = .closed
            return [.close]
        }
        // Without SNI the only name is the address the client dialled (an IP-literal target).
        let host = hello.serverName?.hostName ?? original.address.description
        let authority = HTTPAuthority(
            host: host, port: original.port, isIPv6Literal: !original.address.isIPv4 && hello.serverName == nil)
        let head = HTTPRequestHead(
            method: "CONNECT", target: .authority(authority), version: .http11, headers: [], framing: .none,
            keepAlive: false, hostHeader: nil, headLength: 0)
        // The hello stays in `input`: it is checked and forwarded once the upstream is chosen.
        return startExchange(head, authority, sandbox, "address", false, now: now)
    }
}
