import AirlockEvents
import AirlockHTTPProxy
import Testing

/// Inputs the fuzz harnesses (Tools/fuzz/harnesses/http_*.swift) found; the raw inputs are kept in
/// Tools/fuzz/regressions/ and replayed by `Tools/fuzz/run.sh`.
@Suite("HTTP proxy fuzz regressions")
struct HTTPProxyFuzzRegressionTests {
    let key = [UInt8](repeating: 0x42, count: 32)
    let tag = String(repeating: "ab", count: 32)

    /// `v1.X.<tag>`: the only dot before the tag's is the prefix's, so there is no sandbox field. The
    /// parser read the sandbox from a reversed range and trapped: a crash of the whole proxy that any
    /// client could send before its signature was checked (http_proxy_token).
    @Test func tokenWithoutASandboxFieldIsMalformed() {
        #expect(ProxyToken.verify("v1.agent-1700000100.\(tag)", key: key, now: 0) == .failure(.malformed))
        #expect(ProxyToken.verify("v1..\(tag)", key: key, now: 0) == .failure(.malformed))
        #expect(ProxyToken.verify("v1.\(tag)", key: key, now: 0) == .failure(.malformed))
        #expect(ProxyToken.verify("v1...\(tag)", key: key, now: 0) == .failure(.malformed))
    }

    @Test func connectionAnswers407ToSuchAToken() throws {
        var (machine, _) = try makeMachine(client: "198.18.1.7") { $0.tokenKey = key }
        var input = bytes(
            "GET http://api.example.com/ HTTP/1.1\r\nHost: api.example.com\r\nProxy-Authorization: Bearer v1.x.\(tag)\r\n\r\n"
        )
        let actions = machine.clientData(&input, now: Clock().now)
        #expect(clientText(actions)?.hasPrefix("HTTP/1.1 407 Proxy Authentication Required\r\n") == true)
        #expect(clientText(actions)?.contains("not an Airlock token") == true)
    }
}
