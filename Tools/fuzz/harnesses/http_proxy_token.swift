// The HTTP proxy's sandbox credentials: `Proxy-Authorization` values (Bearer, Basic with base64) and
// the `v1.<sandbox>.<expiry>.<tag>` tokens inside them, which every request from a sandbox carries
// when the proxy requires tokens: hostile text before any policy applies.
//
// Input: a mode byte, then text. Mode bit 0: the text is a Proxy-Authorization value, whose
// credential (if any) is verified; else the text is a sandbox name, and a token minted for it (expiry
// from the next 4 bytes of the input; mode bit 1: bound to the sandbox's addresses, a v2 token) must
// verify back to the same sandbox, expiry and binding, fail one second after it expires, and fail
// its signature with the other version's prefix (a binding cannot be added or removed).
import AirlockHTTPProxy

private let key = Array("fuzzing key, not a secret: 32 by".utf8)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHTTPProxyToken(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    let mode = input.byte()
    if mode & 0x01 != 0 {
        let value = String(decoding: input.rest(), as: UTF8.self)
        if let credential = ProxyToken.credential(fromProxyAuthorization: value) {
            _ = ProxyToken.verify(credential, key: key, now: 1_700_000_000).map(\.sandbox)
        }
        _ = ProxyToken.verify(value, key: key, now: 1_700_000_000)
        return 0
    }
    let expiry = Int64(input.u32())
    let bound = mode & 0x02 != 0
    let name = String(decoding: input.rest(), as: UTF8.self)
    let token = ProxyToken(sandbox: name, expiry: expiry, boundToSandboxAddresses: bound).mint(key: key)
    let verified = ProxyToken.verify(token, key: key, now: expiry - 1)
    // Names the policy could define: plain printable ASCII without spaces (the token format's own limit
    // is 256 bytes in all).
    let ordinary = !name.isEmpty && name.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F } && token.utf8.count <= 256
    if ordinary {
        require(
            verified == .success(ProxyToken(sandbox: name, expiry: expiry, boundToSandboxAddresses: bound)),
            "token for \(name) verifies as \(verified)")
        let switched = (bound ? "v1." : "v2.") + token.dropFirst(3)
        require(
            ProxyToken.verify(switched, key: key, now: expiry - 1) == .failure(.badSignature),
            "a token for \(name) verified with its binding \(bound ? "removed" : "added")")
        require(
            ProxyToken.verify(token, key: key, now: expiry) == .failure(.expired(sandbox: name, at: expiry)),
            "an expired token for \(name) was not refused as expired")
    }
    return 0
}
