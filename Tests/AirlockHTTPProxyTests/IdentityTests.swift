import AirlockDigest
import AirlockHTTPProxy
import Testing

@Suite struct IdentityTests {
    func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }
    func unhex(_ s: String) -> [UInt8] {
        var out: [UInt8] = []
        var i = s.startIndex
        while i < s.endIndex {
            let j = s.index(i, offsetBy: 2)
            out.append(UInt8(s[i..<j], radix: 16)!)
            i = j
        }
        return out
    }

    /// RFC 4231 test cases 1, 2 and 6 (key longer than the block).
    @Test func hmacVectors() {
        #expect(
            hex(
                HMACSHA256.authenticationCode(key: [UInt8](repeating: 0x0b, count: 20), message: Array("Hi There".utf8))
            )
                == "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")
        #expect(
            hex(
                HMACSHA256.authenticationCode(
                    key: Array("Jefe".utf8), message: Array("what do ya want for nothing?".utf8)))
                == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        #expect(
            hex(
                HMACSHA256.authenticationCode(
                    key: [UInt8](repeating: 0xaa, count: 131),
                    message: Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8)))
                == "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54")
    }

    let key = [UInt8](repeating: 0x42, count: 32)

    @Test func tokenRoundTripAndFailures() throws {
        let token = ProxyToken(sandbox: "agent.v2-1", expiry: 2_000).mint(key: key)
        #expect(token.hasPrefix("v1.agent.v2-1.2000."))
        #expect(
            try ProxyToken.verify(token, key: key, now: 1_999).get() == ProxyToken(sandbox: "agent.v2-1", expiry: 2_000)
        )
        #expect(ProxyToken.verify(token, key: key, now: 2_000) == .failure(.expired(sandbox: "agent.v2-1", at: 2_000)))
        #expect(ProxyToken.verify(token, key: [UInt8](repeating: 1, count: 32), now: 0) == .failure(.badSignature))
        // Changing the sandbox or the expiry breaks the signature.
        let forged = token.replacingOccurrences("agent.v2-1", with: "agent.v2-2")
        #expect(ProxyToken.verify(forged, key: key, now: 0) == .failure(.badSignature))
        let later = token.replacingOccurrences(".2000.", with: ".9000.")
        #expect(ProxyToken.verify(later, key: key, now: 0) == .failure(.badSignature))
        for bad in [
            "", "v1.", "v2.a.1.00", "v1.a.x.\(String(repeating: "0", count: 64))", "v1.a.1.zz",
            "v1..1.\(String(repeating: "0", count: 64))",
        ] {
            #expect(ProxyToken.verify(bad, key: key, now: 0) == .failure(.malformed), "\(bad)")
        }
    }

    /// A bound token (v2) verifies as bound, and cannot be passed off as a bearer one: the version is
    /// inside the signed text.
    @Test func boundTokensKeepTheirBinding() throws {
        let token = ProxyToken(sandbox: "agent-1", expiry: 2_000, boundToSandboxAddresses: true).mint(key: key)
        #expect(token.hasPrefix("v2.agent-1.2000."))
        #expect(try ProxyToken.verify(token, key: key, now: 1_999).get().boundToSandboxAddresses)
        let downgraded = "v1." + token.dropFirst(3)
        #expect(ProxyToken.verify(downgraded, key: key, now: 0) == .failure(.badSignature))
        let bearer = ProxyToken(sandbox: "agent-1", expiry: 2_000).mint(key: key)
        #expect(try ProxyToken.verify(bearer, key: key, now: 1_999).get().boundToSandboxAddresses == false)
        #expect(ProxyToken.verify("v2." + bearer.dropFirst(3), key: key, now: 0) == .failure(.badSignature))
    }

    @Test func proxyAuthorizationForms() {
        #expect(ProxyToken.credential(fromProxyAuthorization: "Bearer abc") == "abc")
        // curl -x http://agent-1:TOKEN@proxy sends Basic base64("agent-1:TOKEN").
        #expect(ProxyToken.credential(fromProxyAuthorization: "Basic YWdlbnQtMTp2MS5hLjEuMDA=") == "v1.a.1.00")
        #expect(ProxyToken.credential(fromProxyAuthorization: "basic YWdlbnQtMTp2MS5hLjEuMDA=") == "v1.a.1.00")
        #expect(ProxyToken.credential(fromProxyAuthorization: "Basic !!!") == nil)
        #expect(ProxyToken.credential(fromProxyAuthorization: "Basic YWJj") == nil)  // "abc": no colon
        #expect(ProxyToken.credential(fromProxyAuthorization: "Digest x") == nil)
    }
}

extension String {
    func replacingOccurrences(_ target: String, with replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
