import AirlockEnforcement
import AirlockEvents
import AirlockHTTPProxy
import AirlockHTTPWire
import AirlockPolicy
import AirlockSystem
import AirlockTLSWire
import Testing

@Suite struct EgressGuardTests {
    let egress = EgressGuard()

    func sandbox() throws -> SandboxPolicy {
        try loadPolicy(basePolicy).policy.sandbox(for: IPAddress("198.18.1.7")!)
    }

    @Test func targetChecks() throws {
        let s = try sandbox()
        #expect(egress.decideTarget(s, host: "api.example.com", port: 443).deny == false)
        let dot = egress.decideTarget(s, host: "api.example.com", port: 853)
        #expect(dot.deny && dot.rule == "bypass.dns-over-tls" && dot.kind == .resolverBypass)
        let doh = egress.decideTarget(s, host: "dns.google", port: 443)
        #expect(doh.deny && doh.rule == "bypass.dns-over-https" && doh.reason.contains("Google"))
        let cloudflare = egress.decideTarget(s, host: "mozilla.cloudflare-dns.com", port: 443)
        #expect(cloudflare.deny && cloudflare.kind == .resolverBypass)
        let policyDoH = egress.decideTarget(s, host: "doh.corp.example", port: 443)
        #expect(policyDoH.deny && policyDoH.rule == "http.doh_endpoints[0]" && policyDoH.kind == .resolverBypass)
        let denied = egress.decideTarget(s, host: "evil.example.com", port: 443)
        #expect(denied.deny && denied.rule == "http.deny[0]" && denied.kind == .policyDenial)
        let unlisted = egress.decideTarget(s, host: "other.example.net", port: 443)
        #expect(unlisted.deny && unlisted.rule == "http.default")
        let wrongPort = egress.decideTarget(s, host: "a.files.example.org", port: 80)
        #expect(wrongPort.deny)
        #expect(!egress.decideTarget(s, host: "a.files.example.org", port: 443).deny)
        // Names the policy cannot read the same way a resolver would are refused.
        #expect(egress.decideTarget(s, host: "127.1", port: 80).deny)
    }

    @Test func addressChecks() throws {
        let s = try sandbox()
        let metadata = egress.decideAddress(s, address: IPAddress("169.254.169.254")!, port: 80, ownHost: nil)
        #expect(metadata.deny && metadata.rule == "http.metadata" && metadata.kind == .metadataAccess)
        let metadata6 = egress.decideAddress(s, address: IPAddress("fd00:ec2::254")!, port: 80, ownHost: nil)
        #expect(metadata6.deny && metadata6.kind == .metadataAccess)
        let azure = egress.decideAddress(s, address: IPAddress("168.63.129.16")!, port: 80, ownHost: nil)
        #expect(azure.deny && azure.kind == .metadataAccess)
        for text in [
            "127.0.0.1", "10.1.2.3", "192.168.1.1", "::1", "fe80::1", "224.0.0.1", "198.18.0.1", "::ffff:127.0.0.1",
        ] {
            let d = egress.decideAddress(s, address: IPAddress(text)!, port: 443, ownHost: nil)
            #expect(d.deny && d.rule == "http.allow_private_destinations", "\(text)")
        }
        #expect(!egress.decideAddress(s, address: IPAddress("198.18.50.9")!, port: 443, ownHost: nil).deny)
        #expect(!egress.decideAddress(s, address: IPAddress("93.184.216.34")!, port: 443, ownHost: nil).deny)
        let resolver = egress.decideAddress(s, address: IPAddress("1.1.1.1")!, port: 443, ownHost: nil)
        #expect(resolver.deny && resolver.rule == "bypass.dns-over-https")
        #expect(!egress.decideAddress(s, address: IPAddress("1.1.1.1")!, port: 80, ownHost: nil).deny)
    }

    /// Every address of Airlock's own host is refused, even where the policy allows the range
    /// (issue #11: the proxy connected to its own internet-side address), and the public ones too.
    @Test func ownHostAddressesAreRefusedWhateverThePolicySays() throws {
        let s = try sandbox()
        let host = OwnHostAddresses([IPAddress("198.18.50.1")!, IPAddress("203.0.113.9")!, IPAddress("2001:db8::9")!])
        for text in ["198.18.50.1", "203.0.113.9", "::ffff:203.0.113.9", "2001:db8::9", "127.0.0.1", "127.3.4.5", "::1",
            "0.0.0.0", "::"]
        {
            let d = egress.decideAddress(s, address: IPAddress(text)!, port: 443, ownHost: host)
            #expect(d.deny && d.rule == "http.own_host" && d.kind == .policyDenial, "\(text): \(d.rule)")
        }
        // Not the host's: the policy decides (198.18.50.0/24 is allowed, 93.184.216.34 is public).
        #expect(!egress.decideAddress(s, address: IPAddress("198.18.50.9")!, port: 443, ownHost: host).deny)
        #expect(!egress.decideAddress(s, address: IPAddress("93.184.216.34")!, port: 443, ownHost: host).deny)
        // The operator's switch for single-machine benchmarks turns the check off (nil).
        #expect(!egress.decideAddress(s, address: IPAddress("198.18.50.1")!, port: 443, ownHost: nil).deny)
    }

    /// The system layer lists this host's interface addresses: loopback at least.
    @Test func hostAddressesListLoopback() {
        #expect(HostAddresses.current().contains(IPAddress("127.0.0.1")!))
    }

    @Test func helloChecks() throws {
        let s = try sandbox()
        let destination = Endpoint(address: IPAddress("198.18.50.5")!, port: 443)
        func decide(_ host: String, _ hello: [UInt8]) -> EgressDecision {
            egress.decideHello(s, connectHost: host, destination: destination, parsed: ClientHelloParser.parse(hello))
        }
        #expect(!decide("api.example.com", clientHello(sni: "api.example.com")).deny)
        #expect(!decide("API.example.com.", clientHello(sni: "api.example.com")).deny)
        let fronted = decide("api.example.com", clientHello(sni: "evil.example.com"))
        #expect(fronted.deny && fronted.rule == "http.sni_mismatch" && fronted.kind == .sniMismatch)
        let noSNI = decide("api.example.com", clientHello(sni: nil))
        #expect(noSNI.deny && noSNI.kind == .sniMismatch)
        #expect(!decide("198.18.50.5", clientHello(sni: nil)).deny)
        #expect(decide("198.18.50.5", clientHello(sni: "api.example.com")).deny)
        let dot = decide("api.example.com", clientHello(sni: "api.example.com", alpn: ["dot"]))
        #expect(dot.deny && dot.rule == "bypass.dns-over-tls")
        let notTLS = decide("api.example.com", Array("SSH-2.0-OpenSSH_9.2\r\n".utf8))
        #expect(notTLS.deny && notTLS.rule == "http.tunnel_tls")
        let relaxed = EgressGuard(allowNonTLSTunnels: true)
        #expect(
            !relaxed.decideHello(
                s, connectHost: "api.example.com", destination: destination,
                parsed: ClientHelloParser.parse(Array("SSH-2.0-x\r\n".utf8))
            ).deny)
    }
}

@Suite struct LedgerAndEntropyTests {
    @Test func slidingWindows() {
        var ledger = EgressLedger()
        let key = EgressLedger.Key(sandbox: "a", destination: "example.com")
        let second: Int64 = 1_000_000_000
        #expect(ledger.chargeUpload(key, bytes: 600, now: 10 * second, windowSeconds: 60) == 600)
        #expect(ledger.chargeUpload(key, bytes: 600, now: 20 * second, windowSeconds: 60) == 1_200)
        // 30 s into the next window, half of the previous window still counts.
        let later = ledger.uploaded(key, now: 100 * second, windowSeconds: 60)
        #expect(later > 500 && later < 700)
        #expect(ledger.uploaded(key, now: 500 * second, windowSeconds: 60) == 0)
        // Tokens count once.
        let first = ledger.chargeEntropy(key, tokens: [(1, 100), (2, 50)], now: second, windowSeconds: 60)
        #expect(first.added == 150)
        let again = ledger.chargeEntropy(key, tokens: [(1, 100), (3, 10)], now: second, windowSeconds: 60)
        #expect(again.added == 10 && again.total == 160)
    }

    @Test func highEntropyTokensAreFound() throws {
        let entropy = RequestEntropy()
        func tokens(_ target: String, headers: String = "") -> [RequestEntropy.Token] {
            let text = "GET http://a.example\(target) HTTP/1.1\r\nHost: a.example\r\n\(headers)\r\n"
            guard case .complete(let head) = HTTPRequestParserShim.parse(text) else { return [] }
            return entropy.tokens(of: head)
        }
        #expect(tokens("/simple/requests/index.html?page=2&sort=descending").isEmpty)
        #expect(tokens("/api/v1/users/12345/profile").isEmpty)
        let exfil = tokens("/x?d=U2VjcmV0S2V5OmFiY2RlZjAxMjM0NTY3ODlBQkNERUZHSElKS0xNTk9QUVJTVFVWV1hZWg")
        #expect(exfil.count == 1 && exfil[0].location == "query" && exfil[0].bits > 300)
        let hex = tokens("/c/4f3c2a9b8e7d6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a")
        #expect(hex.count == 1 && hex[0].features.shape == .hex)
        let header = tokens("/", headers: "X-Data: Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZmdoaWprbG1ub3A=\r\n")
        #expect(header.count == 1 && header[0].location == "x-data")
    }
}

enum HTTPRequestParserShim {
    static func parse(_ text: String) -> HTTPHeadParseResult<HTTPRequestHead> {
        HTTPRequestParser.parse(Array(text.utf8))
    }
}
