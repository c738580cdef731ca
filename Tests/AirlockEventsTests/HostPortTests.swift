import AirlockEvents
import Testing

/// The one `host:port` reader: every form the command line, the policy, the alerts configuration and
/// the resolver table accept, and one rule for port 0 (listening addresses only).
@Suite struct HostPortTests {
    func parse(_ text: String, defaultPort: UInt16? = nil, zero: HostPort.ZeroPort = .refused) -> HostPort? {
        try? HostPort.parse(text, defaultPort: defaultPort, zeroPort: zero).get()
    }

    @Test func forms() {
        #expect(parse("198.18.0.53:5353") == HostPort(host: "198.18.0.53", port: 5353))
        #expect(parse("198.18.0.53", defaultPort: 53) == HostPort(host: "198.18.0.53", port: 53))
        #expect(parse("[2001:db8::53]:853") == HostPort(host: "2001:db8::53", port: 853))
        #expect(parse("[2001:db8::53]", defaultPort: 53) == HostPort(host: "2001:db8::53", port: 53))
        #expect(parse("2001:db8::53", defaultPort: 53) == HostPort(host: "2001:db8::53", port: 53), "bare IPv6: no port")
        #expect(parse("siem.internal:6514") == HostPort(host: "siem.internal", port: 6514))
        #expect(parse(":9464") == HostPort(host: "", port: 9464))
    }

    @Test func refusals() {
        #expect(HostPort.parse("[2001:db8::53") == .failure(.missingBracket))
        #expect(HostPort.parse("[2001:db8::53]x") == .failure(.textAfterBracket))
        #expect(HostPort.parse("198.18.0.53") == .failure(.missingPort))
        #expect(HostPort.parse("2001:db8::53") == .failure(.missingPort))
        #expect(HostPort.parse("198.18.0.53:99999") == .failure(.badPort("99999", zeroAllowed: false)))
        #expect(HostPort.parse("198.18.0.53:+53") == .failure(.badPort("+53", zeroAllowed: false)))
        #expect(HostPort.parse("198.18.0.53:") == .failure(.badPort("", zeroAllowed: false)))
        #expect(HostPort.parse("dns.google:53").flatMap { $0.endpoint() } == .failure(.notAnAddress("dns.google")))
    }

    @Test func portZeroOnlyForListeningAddresses() {
        #expect(HostPort.parse("127.0.0.1:0") == .failure(.badPort("0", zeroAllowed: false)))
        #expect(parse("127.0.0.1:0", zero: .allowed) == HostPort(host: "127.0.0.1", port: 0))
        #expect(HostPortError.badPort("0", zeroAllowed: false).description == "port must be 1-65535")
    }

    @Test func endpoints() throws {
        let endpoint = try HostPort.parse("[::1]:53").flatMap { $0.endpoint() }.get()
        #expect(endpoint == Endpoint(address: .v6(high: 0, low: 1), port: 53))
        #expect(HostPort(host: "::1", port: 53).description == "[::1]:53")
        #expect(HostPort(host: "198.18.0.53", port: 53).description == "198.18.0.53:53")
    }
}
