import AirlockDNSProxy
import AirlockEnforcement
import AirlockEvents
import AirlockHTTPProxy
import AirlockTestSupport
import Testing

/// The proxy's protocol logic driven with bytes and events only: no sockets, no DNS server.
@Suite struct ConnectionMachineTests {
    let clock = Clock()

    @Test func negativeContentLengthIs400AndCloses() throws {
        var (m, _) = try makeMachine()
        var input = bytes(
            "POST http://api.example.com/ HTTP/1.1\r\nHost: api.example.com\r\nContent-Length: -4\r\n\r\n")
        let actions = m.clientData(&input, now: clock.now)
        #expect(clientText(actions)?.hasPrefix("HTTP/1.1 400 Bad Request\r\n") == true)
        #expect(actions.closes)
        #expect(m.takeRecords().first?.rule == "http.parse.invalid_content_length")
    }

    @Test func smugglingRequestIsRefusedBeforeAnyUpstream() throws {
        var (m, _) = try makeMachine()
        var input = bytes(
            "POST http://api.example.com/ HTTP/1.1\r\nHost: api.example.com\r\nContent-Length: 4\r\n"
                + "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET http://evil.example.com/ HTTP/1.1\r\n\r\n")
        let actions = m.clientData(&input, now: clock.now)
        #expect(clientText(actions)?.hasPrefix("HTTP/1.1 400") == true)
        #expect(actions.closes && actions.connectTarget == nil && actions.resolveName == nil)
    }

    @Test func deniedHostGets403WithReasonAndKeepsTheConnection() throws {
        var (m, _) = try makeMachine()
        var input = bytes("GET http://evil.example.com/x HTTP/1.1\r\nHost: evil.example.com\r\n\r\n")
        let actions = m.clientData(&input, now: clock.now)
        let text = try #require(clientText(actions))
        #expect(text.hasPrefix("HTTP/1.1 403 Forbidden\r\n"))
        #expect(text.contains("X-Airlock-Rule: http.deny[0]\r\n"))
        #expect(text.contains("X-Airlock-Reason: 'evil.example.com' port 80 matches deny rule"))
        #expect(!actions.closes)
        let record = try #require(m.takeRecords().first)
        #expect(
            record.action == .block && record.sandbox == "agent-1" && record.status == 403
                && record.kind == .policyDenial)
        #expect(HTTPDecisionFormat.string(record).contains("\"rule\":\"http.deny[0]\""))
    }

    @Test func allowedRequestIsResolvedForwardedAndKeptAlive() throws {
        var (m, _) = try makeMachine()
        var clientIn = bytes(
            "GET http://api.example.com/v1/models?x=1 HTTP/1.1\r\nHost: api.example.com\r\n"
                + "Proxy-Authorization: Basic Zm9vOmJhcg==\r\nProxy-Connection: keep-alive\r\nAccept: */*\r\n\r\n")
        var actions = m.clientData(&clientIn, now: clock.now)
        #expect(actions.resolveName == "api.example.com")
        actions = m.resolved(.addresses([IPAddress("198.18.50.5")!], ttl: 60), now: clock.now)
        #expect(actions.connectTarget == Endpoint(address: IPAddress("198.18.50.5")!, port: 80))
        actions = m.upstreamConnected(now: clock.now)
        let forwarded = try #require(upstreamText(actions))
        #expect(forwarded.hasPrefix("GET /v1/models?x=1 HTTP/1.1\r\nHost: api.example.com\r\n"))
        #expect(!forwarded.contains("Proxy-Authorization") && !forwarded.contains("Proxy-Connection"))
        #expect(forwarded.hasSuffix("Accept: */*\r\nConnection: close\r\n\r\n"))
        var upstreamIn = bytes("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhel")
        actions = m.upstreamData(&upstreamIn, now: clock.now)
        #expect(
            clientText(actions)?.hasPrefix("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: keep-alive\r\n\r\n")
                == true)
        #expect(upstreamIn.isEmpty)
        upstreamIn = bytes("lo")
        actions = m.upstreamData(&upstreamIn, now: clock.now)
        #expect(actions == [.sendClient(bytes("lo")), .closeUpstream])
        #expect(m.consumesClientInput)
        // The next request on the same connection.
        clientIn = bytes("GET http://api.example.com/2 HTTP/1.1\r\nHost: api.example.com\r\n\r\n")
        #expect(m.clientData(&clientIn, now: clock.now).resolveName == "api.example.com")
    }

    @Test func chunkedRequestBodyIsForwardedExactly() throws {
        var (m, _) = try makeMachine()
        let body = "5\r\nhello\r\n0\r\n\r\n"
        var clientIn = bytes(
            "POST http://198.18.50.5:8080/up HTTP/1.1\r\nHost: 198.18.50.5:8080\r\nTransfer-Encoding: chunked\r\n\r\n"
                + body
                + "GET http://198.18.50.5:8080/next HTTP/1.1\r\nHost: 198.18.50.5:8080\r\n\r\n")
        var actions = m.clientData(&clientIn, now: clock.now)
        #expect(actions.connectTarget == Endpoint(address: IPAddress("198.18.50.5")!, port: 8080))
        actions = m.upstreamConnected(now: clock.now)
        #expect(upstreamText(actions)?.contains("Transfer-Encoding: chunked\r\n") == true)
        actions = m.clientData(&clientIn, now: clock.now)
        #expect(actions == [.sendUpstream(bytes(body))])
        #expect(String(decoding: clientIn, as: UTF8.self).hasPrefix("GET http://198.18.50.5:8080/next"))
        #expect(!m.consumesClientInput)
    }

    /// A name the policy allows that resolves to an address of the proxy's own host (inside an
    /// allowed private range): 403 before any connect.
    @Test func anAllowedNameResolvingToTheProxysOwnHostIsRefused() throws {
        var (m, context) = try makeMachine()
        context.updateOwnHost([IPAddress("198.18.50.5")!])
        var clientIn = bytes("GET http://api.example.com:9464/metrics HTTP/1.1\r\nHost: api.example.com:9464\r\n\r\n")
        var actions = m.clientData(&clientIn, now: clock.now)
        #expect(actions.resolveName == "api.example.com")
        actions = m.resolved(.addresses([IPAddress("198.18.50.5")!], ttl: 60), now: clock.now)
        #expect(actions.connectTarget == nil)
        let text = try #require(clientText(actions))
        #expect(text.hasPrefix("HTTP/1.1 403") && text.contains("X-Airlock-Rule: http.own_host"), "\(text)")
    }

    @Test func connectChecksTheClientHelloBeforeConnecting() throws {
        var (m, _) = try makeMachine()
        var clientIn = bytes("CONNECT api.example.com:443 HTTP/1.1\r\nHost: api.example.com:443\r\n\r\n")
        var actions = m.clientData(&clientIn, now: clock.now)
        #expect(actions.resolveName == "api.example.com")
        actions = m.resolved(.addresses([IPAddress("198.18.50.5")!], ttl: 60), now: clock.now)
        #expect(clientText(actions) == "HTTP/1.1 200 Connection established\r\n\r\n")
        // The TCP connect overlaps the hello; nothing is sent on it until the hello passes.
        #expect(actions.connectTarget == Endpoint(address: IPAddress("198.18.50.5")!, port: 443))
        #expect(m.upstreamConnected(now: clock.now).isEmpty)
        let hello = clientHello(sni: "api.example.com")
        clientIn = Array(hello[..<20])
        #expect(m.clientData(&clientIn, now: clock.now).isEmpty)
        clientIn = hello
        actions = m.clientData(&clientIn, now: clock.now)
        #expect(actions == [.sendUpstream(hello), .relay])
        #expect(m.isTunnel)
        #expect(m.tunnelTraffic(up: 100, down: 5000, now: clock.now).isEmpty)
        m.tunnelEnded(now: clock.now, why: "tunnel closed")
        let end = try #require(m.takeRecords().last)
        #expect(
            end.action == .end && end.bytesUp == hello.count + 100 && end.bytesDown == 5000
                && end.sni == "api.example.com")
    }

    @Test func helloBeforeTheUpstreamConnectsWaitsForIt() throws {
        var (m, _) = try makeMachine()
        var clientIn = bytes("CONNECT api.example.com:443 HTTP/1.1\r\n\r\n")
        _ = m.clientData(&clientIn, now: clock.now)
        _ = m.resolved(.addresses([IPAddress("198.18.50.5")!, IPAddress("198.18.50.6")!], ttl: 60), now: clock.now)
        let hello = clientHello(sni: "api.example.com")
        clientIn = hello
        #expect(m.clientData(&clientIn, now: clock.now).isEmpty)
        // The first address fails: the second is tried with the hello still held back.
        let retry = m.upstreamFailed(reason: "refused", now: clock.now)
        #expect(retry == [.closeUpstream, .connect(Endpoint(address: IPAddress("198.18.50.6")!, port: 443))])
        #expect(m.upstreamConnected(now: clock.now) == [.sendUpstream(hello), .relay])
    }

    @Test func sniMismatchIsRefusedWithATLSAlert() throws {
        var (m, _) = try makeMachine()
        var clientIn = bytes("CONNECT api.example.com:443 HTTP/1.1\r\nHost: api.example.com:443\r\n\r\n")
        _ = m.clientData(&clientIn, now: clock.now)
        _ = m.resolved(.addresses([IPAddress("198.18.50.5")!], ttl: 60), now: clock.now)
        clientIn = clientHello(sni: "evil.example.com")
        let actions = m.clientData(&clientIn, now: clock.now)
        #expect(actions == [.sendClient([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x31]), .close])
        let record = try #require(m.takeRecords().last)
        #expect(record.stage == .tls && record.kind == .sniMismatch && record.sni == "evil.example.com")
    }

    @Test func privateAndMetadataDestinationsAreRefused() throws {
        var (m, _) = try makeMachine(policy: basePolicy.replacingOccurrences("default: deny", with: "default: allow"))
        var clientIn = bytes("CONNECT internal.example.net:443 HTTP/1.1\r\nHost: internal.example.net:443\r\n\r\n")
        _ = m.clientData(&clientIn, now: clock.now)
        var actions = m.resolved(.addresses([IPAddress("10.0.0.8")!], ttl: 60), now: clock.now)
        #expect(clientText(actions)?.contains("X-Airlock-Rule: http.allow_private_destinations") == true)
        clientIn = bytes("GET http://169.254.169.254/latest/meta-data/ HTTP/1.1\r\nHost: 169.254.169.254\r\n\r\n")
        actions = m.clientData(&clientIn, now: clock.now)
        #expect(clientText(actions)?.contains("X-Airlock-Kind: metadata-access") == true)
        #expect(actions.resolveName == nil && actions.connectTarget == nil)
    }

    @Test func dnsRefusalBecomes403() throws {
        var (m, _) = try makeMachine()
        var clientIn = bytes("CONNECT api.example.com:443 HTTP/1.1\r\n\r\n")
        _ = m.clientData(&clientIn, now: clock.now)
        let actions = m.resolved(
            .refused(rule: "dns.quarantine_seconds", reason: "example.com is quarantined"), now: clock.now)
        let text = try #require(clientText(actions))
        #expect(text.hasPrefix("HTTP/1.1 403") && text.contains("X-Airlock-Rule: dns.quarantine_seconds"))
        #expect(m.takeRecords().last?.kind == .detection)
    }

    @Test func uploadOverBudgetIsRefused() throws {
        var (m, _) = try makeMachine()
        var clientIn = bytes(
            "POST http://api.example.com/up HTTP/1.1\r\nHost: api.example.com\r\nContent-Length: 5000\r\n\r\n")
        let actions = m.clientData(&clientIn, now: clock.now)
        let text = try #require(clientText(actions))
        #expect(
            text.contains("X-Airlock-Rule: http.upload_budget") && text.contains("X-Airlock-Kind: budget-exhausted"))
        #expect(actions.closes)
        #expect(m.takeRecords().last?.evidence.first?.feature == "upload_bytes")
    }

    @Test func tunnelOverBudgetIsClosed() throws {
        var (m, _) = try makeMachine()
        var clientIn = bytes("CONNECT api.example.com:443 HTTP/1.1\r\n\r\n")
        _ = m.clientData(&clientIn, now: clock.now)
        _ = m.resolved(.addresses([IPAddress("198.18.50.5")!], ttl: 60), now: clock.now)
        clientIn = clientHello(sni: "api.example.com")
        _ = m.clientData(&clientIn, now: clock.now)
        _ = m.upstreamConnected(now: clock.now)
        #expect(m.tunnelTraffic(up: 500, down: 0, now: clock.now).isEmpty)
        #expect(m.tunnelTraffic(up: 500, down: 0, now: clock.now) == [.close])
        let records = m.takeRecords()
        #expect(records.contains { $0.rule == "http.upload_budget" && $0.action == .block })
    }

    @Test func reportModeLogsAndForwards() throws {
        var (m, _) = try makeMachine(client: "198.18.2.9")
        var clientIn = bytes("GET http://evil.example.com/ HTTP/1.1\r\nHost: evil.example.com\r\n\r\n")
        let actions = m.clientData(&clientIn, now: clock.now)
        #expect(actions.resolveName == "evil.example.com")
        let record = try #require(m.takeRecords().first)
        #expect(record.action == .wouldBlock && record.sandbox == "watcher" && record.rule == "http.deny[0]")
    }

    @Test func tokensAreCheckedWhenRequired() throws {
        let key = [UInt8](repeating: 9, count: 32)
        var (m, _) = try makeMachine(client: "198.18.9.9") {
            $0.tokenKey = key
            $0.requireToken = true
        }
        var clientIn = bytes("GET http://api.example.com/ HTTP/1.1\r\nHost: api.example.com\r\n\r\n")
        var actions = m.clientData(&clientIn, now: clock.now)
        #expect(clientText(actions)?.hasPrefix("HTTP/1.1 407 Proxy Authentication Required\r\n") == true)
        #expect(clientText(actions)?.contains("Proxy-Authenticate: Basic realm=\"airlock\"") == true)
        let expiry = Int64(clock.seconds) + 60
        let token = ProxyToken(sandbox: "agent-1", expiry: expiry).mint(key: key)
        clientIn = bytes(
            "GET http://api.example.com/ HTTP/1.1\r\nHost: api.example.com\r\nProxy-Authorization: Bearer \(token)\r\n\r\n"
        )
        _ = m.takeRecords()
        actions = m.clientData(&clientIn, now: clock.now)
        #expect(actions.resolveName == "api.example.com")
        _ = m.resolved(.addresses([IPAddress("198.18.50.5")!], ttl: 1), now: clock.now)
        let record = try #require(m.takeRecords().last)
        #expect(record.identity == "token" && record.sandbox == "agent-1")

        // A token for another sandbox than the client's address is refused.
        var (other, _) = try makeMachine(client: "198.18.2.9") { $0.tokenKey = key }
        clientIn = bytes(
            "GET http://api.example.com/ HTTP/1.1\r\nHost: api.example.com\r\nProxy-Authorization: Bearer \(token)\r\n\r\n"
        )
        actions = other.clientData(&clientIn, now: clock.now)
        #expect(clientText(actions)?.contains("belongs to sandbox 'watcher'") == true)
    }

    /// A v1 token is a bearer token: from an address in no sandbox it passes as its sandbox (the
    /// documented scope). A token minted with --bind (v2) works only from its sandbox's addresses.
    @Test func boundTokensWorkOnlyFromTheirSandboxsAddresses() throws {
        let key = [UInt8](repeating: 9, count: 32)
        let expiry = Int64(clock.seconds) + 60
        let bearer = ProxyToken(sandbox: "agent-1", expiry: expiry).mint(key: key)
        let bound = ProxyToken(sandbox: "agent-1", expiry: expiry, boundToSandboxAddresses: true).mint(key: key)
        #expect(bound.hasPrefix("v2.agent-1."))
        func request(_ token: String, from client: String) throws -> (actions: [ConnectionAction], record: HTTPDecisionRecord?) {
            var (m, _) = try makeMachine(client: client) {
                $0.tokenKey = key
                $0.requireToken = true
            }
            var clientIn = bytes(
                "GET http://api.example.com/ HTTP/1.1\r\nHost: api.example.com\r\nProxy-Authorization: Bearer \(token)\r\n\r\n")
            let actions = m.clientData(&clientIn, now: clock.now)
            return (actions, m.takeRecords().last)
        }
        // 198.18.9.9 is in no sandbox.
        #expect(try request(bearer, from: "198.18.9.9").actions.resolveName == "api.example.com")
        let stolen = try request(bound, from: "198.18.9.9")
        #expect(clientText(stolen.actions)?.hasPrefix("HTTP/1.1 407") == true)
        #expect(stolen.record?.rule == "http.proxy_token")
        #expect(stolen.record?.reason?.contains("bound to the addresses of sandbox 'agent-1'") == true)
        // From agent-1's own address (198.18.1.0/24) the bound token works.
        #expect(try request(bound, from: "198.18.1.7").actions.resolveName == "api.example.com")
    }

    @Test func highEntropyURLsHitTheBudget() throws {
        var (m, _) = try makeMachine {
            $0.entropyBudgetBits = 2_000
        }
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        var refused: String?
        for i in 0..<20 {
            let data = String((0..<48).map { _ in alphabet[Int(generator.next() % 64)] })
            var clientIn = bytes("GET http://api.example.com/c?d=\(data) HTTP/1.1\r\nHost: api.example.com\r\n\r\n")
            let actions = m.clientData(&clientIn, now: clock.now)
            if let text = clientText(actions), text.hasPrefix("HTTP/1.1 403") {
                refused = text
                #expect(i >= 5, "refused after \(i) requests")
                break
            }
            #expect(actions.resolveName != nil)
            _ = m.resolved(.addresses([IPAddress("198.18.50.5")!], ttl: 1), now: clock.now)
            _ = m.upstreamConnected(now: clock.now)
            var response = bytes("HTTP/1.1 204 No Content\r\n\r\n")
            _ = m.upstreamData(&response, now: clock.now)
        }
        let text = try #require(refused)
        #expect(
            text.contains("X-Airlock-Rule: http.url_entropy") && text.contains("X-Airlock-Evidence: high_entropy_bits=")
        )
    }

    @Test func requestRateIsLimited() throws {
        let (first, shared) = try makeMachine { $0.requestRateLimit = 3 }
        var outcomes: [String] = []
        for _ in 0..<5 {
            // One connection per request: the rate is per sandbox and destination, not per connection.
            var m = ConnectionMachine(context: shared, client: first.client, now: clock.now)
            var clientIn = bytes("GET http://api.example.com/ HTTP/1.1\r\nHost: api.example.com\r\n\r\n")
            let actions = m.clientData(&clientIn, now: clock.now)
            if actions.resolveName != nil {
                outcomes.append("resolve")
            } else if clientText(actions)?.contains("X-Airlock-Rule: http.request_rate") == true {
                outcomes.append("limited")
                #expect(m.takeRecords().last?.evidence.first?.feature == "requests")
            }
        }
        #expect(outcomes == ["resolve", "resolve", "resolve", "limited", "limited"])
    }

    @Test func helloTimeoutClosesAndLogs() throws {
        var (m, _) = try makeMachine()
        var clock = self.clock
        var clientIn = bytes("CONNECT api.example.com:443 HTTP/1.1\r\n\r\n")
        _ = m.clientData(&clientIn, now: clock.now)
        _ = m.resolved(.addresses([IPAddress("198.18.50.5")!], ttl: 60), now: clock.now)
        clock.advance(5)
        #expect(m.tick(now: clock.now).isEmpty)
        clock.advance(6)
        #expect(m.tick(now: clock.now) == [.close])
        #expect(m.takeRecords().last?.rule == "http.tunnel_tls")
    }

    @Test func upstreamResponseSmugglingIsA502() throws {
        var (m, _) = try makeMachine()
        var clientIn = bytes("GET http://198.18.50.5/ HTTP/1.1\r\nHost: 198.18.50.5\r\n\r\n")
        _ = m.clientData(&clientIn, now: clock.now)
        _ = m.upstreamConnected(now: clock.now)
        var upstreamIn = bytes("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n")
        let actions = m.upstreamData(&upstreamIn, now: clock.now)
        #expect(clientText(actions)?.hasPrefix("HTTP/1.1 502 Bad Gateway") == true)
        #expect(actions.closes)
    }

    @Test func originFormIsNotAProxyRequest() throws {
        var (m, _) = try makeMachine()
        var clientIn = bytes("GET / HTTP/1.1\r\nHost: api.example.com\r\n\r\n")
        let actions = m.clientData(&clientIn, now: clock.now)
        #expect(clientText(actions)?.hasPrefix("HTTP/1.1 400") == true)
    }

    /// Mutated requests and hellos (seeded, so a failure reproduces) never trap the machine, and what
    /// it does with them stays within bounds: every answer it writes is an HTTP/1.1 response or a TLS
    /// alert, every connect goes to the one address the resolver gave, and some inputs are refused
    /// while others get as far as a connect.
    @Test func randomInputNeverTraps() throws {
        var (m, shared) = try makeMachine()
        var generator = SeededRandom(seed: 0x5EED_0311)
        let allowed = IPAddress("198.18.50.5")!
        let seed = bytes(
            "CONNECT api.example.com:443 HTTP/1.1\r\nHost: api.example.com:443\r\nContent-Length: 3\r\n\r\n")
        var refused = 0
        var connects = 0
        func check(_ actions: [ConnectionAction]) {
            for action in actions {
                switch action {
                case .sendClient(let out):
                    let isHTTP = out.starts(with: Array("HTTP/1.1 ".utf8))
                    #expect(isHTTP || out.first == 0x15, "neither an HTTP response nor a TLS alert: \(out.prefix(16))")
                    if isHTTP && !out.starts(with: Array("HTTP/1.1 200".utf8)) { refused += 1 }
                case .connect(let endpoint):
                    #expect(endpoint.address == allowed, "connect to \(endpoint)")
                    connects += 1
                default:
                    break
                }
            }
        }
        for _ in 0..<3_000 {
            var input = seed
            for _ in 0..<3 {
                input[Int(generator.next() % UInt64(input.count))] = UInt8(truncatingIfNeeded: generator.next())
            }
            if m.isClosed { m = ConnectionMachine(context: shared, client: m.client, now: clock.now) }
            check(m.clientData(&input, now: clock.now))
            check(m.resolved(.addresses([allowed], ttl: 1), now: clock.now))
            var hello = clientHello(sni: "api.example.com")
            hello[Int(generator.next() % UInt64(hello.count))] = UInt8(truncatingIfNeeded: generator.next())
            check(m.clientData(&hello, now: clock.now))
            m = ConnectionMachine(context: shared, client: m.client, now: clock.now)
        }
        #expect(refused > 0 && connects > 0, "refused \(refused), connects \(connects)")
    }
}

/// Transparent mode: connections nftables redirected, routed by SNI (TLS) or Host (HTTP).
@Suite struct TransparentModeTests {
    let clock = Clock()
    let original443 = Endpoint(address: IPAddress("198.18.50.9")!, port: 443)
    let original80 = Endpoint(address: IPAddress("198.18.50.9")!, port: 80)

    func machine(_ original: Endpoint) throws -> ConnectionMachine {
        let (m, shared) = try makeMachine()
        return ConnectionMachine(context: shared, client: m.client, now: clock.now, originalDestination: original)
    }

    @Test func tlsIsRoutedBySNINotByTheDialledAddress() throws {
        var m = try machine(original443)
        let hello = clientHello(sni: "api.example.com")
        var input = hello
        var actions = m.clientData(&input, now: clock.now)
        #expect(actions.resolveName == "api.example.com")
        #expect(input == hello, "the hello waits for the upstream")
        actions = m.resolved(.addresses([IPAddress("198.18.50.5")!], ttl: 60), now: clock.now)
        // No 200 (the client never asked for a proxy); the connect goes to the SNI's address.
        #expect(actions == [.connect(Endpoint(address: IPAddress("198.18.50.5")!, port: 443))])
        actions = m.clientData(&input, now: clock.now)
        #expect(actions.isEmpty && input.isEmpty)
        #expect(m.upstreamConnected(now: clock.now) == [.sendUpstream(hello), .relay])
    }

    @Test func forbiddenSNIGetsATLSAlert() throws {
        var m = try machine(original443)
        var input = clientHello(sni: "evil.example.com")
        let actions = m.clientData(&input, now: clock.now)
        #expect(actions == [.sendClient([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x31]), .close])
        let record = try #require(m.takeRecords().last)
        #expect(record.rule == "http.deny[0]" && record.action == .block && record.status == nil)
    }

    @Test func noSNIMeansTheDialledAddressIsTheTarget() throws {
        var m = try machine(Endpoint(address: IPAddress("198.18.50.5")!, port: 443))
        var input = clientHello(sni: nil)
        let actions = m.clientData(&input, now: clock.now)
        // 198.18.50.5 is allowed as an IP literal in the policy: straight to the connect.
        #expect(actions == [.connect(Endpoint(address: IPAddress("198.18.50.5")!, port: 443))])
    }

    @Test func plainHTTPIsRoutedByHost() throws {
        var m = try machine(original80)
        var input = bytes("GET /v1/x HTTP/1.1\r\nHost: api.example.com\r\n\r\n")
        var actions = m.clientData(&input, now: clock.now)
        #expect(actions.resolveName == "api.example.com")
        actions = m.resolved(.addresses([IPAddress("198.18.50.5")!], ttl: 60), now: clock.now)
        #expect(actions.connectTarget == Endpoint(address: IPAddress("198.18.50.5")!, port: 80))
        input = bytes("GET / HTTP/1.1\r\nHost: evil.example.com\r\n\r\n")
        var n = try machine(original80)
        actions = n.clientData(&input, now: clock.now)
        #expect(clientText(actions)?.contains("X-Airlock-Rule: http.deny[0]") == true)
    }
}
