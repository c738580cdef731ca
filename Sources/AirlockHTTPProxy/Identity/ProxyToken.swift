import AirlockDigest
import AirlockEvents

/// A short-lived credential naming a sandbox: `v1.<sandbox>.<expiry>.<tag>`, where `expiry` is Unix
/// seconds and `tag` the hex HMAC-SHA256 of `v1.<sandbox>.<expiry>` under the proxy's key; or
/// `v2.…` for a token **bound to its sandbox's addresses**.
///
/// Minted by `airlock token`, handed to one agent session, and sent as the password of the proxy
/// URL (`http://agent-1:TOKEN@proxy:3128`, which clients turn into `Proxy-Authorization: Basic`)
/// or as `Proxy-Authorization: Bearer TOKEN`. It carries no secret of its own: it only proves that
/// whoever holds the key said "this session is sandbox X until T". Sandbox names may contain dots,
/// so the token is read from the right (the tag and expiry never do).
///
/// Scope: a `v1` token is a **bearer** token. From an address of another sandbox it is refused, but
/// from an address in no sandbox it is accepted as its sandbox: whoever copies it (a log, a process
/// listing, a neighbour on the path) can use it until it expires. A `v2` token (`airlock token
/// --bind`) is accepted only from an address the policy puts in the token's sandbox
/// (`sandboxes[].match`), so a copied token is worth nothing elsewhere; the version is inside the
/// signed text, so a `v2` token cannot be turned into a `v1` one.
public struct ProxyToken: Hashable, Sendable {
    public var sandbox: String
    /// Unix seconds after which the token is refused.
    public var expiry: Int64
    /// Accepted only from addresses of ``sandbox`` (a `v2` token).
    public var boundToSandboxAddresses: Bool

    public init(sandbox: String, expiry: Int64, boundToSandboxAddresses: Bool = false) {
        self.sandbox = sandbox
        self.expiry = expiry
        self.boundToSandboxAddresses = boundToSandboxAddresses
    }

    static let prefix = "v1."
    static let boundPrefix = "v2."

    /// Why a presented credential is refused.
    public enum Failure: Error, Hashable, Sendable, CustomStringConvertible {
        case missing
        case malformed
        case badSignature
        case expired(sandbox: String, at: Int64)
        case unknownSandbox(String)
        /// The token names another sandbox than the client's address belongs to.
        case wrongSandbox(token: String, address: String)
        /// A bound token used from an address outside its sandbox.
        case unboundAddress(sandbox: String, address: String)

        public var description: String {
            switch self {
            case .missing: return "no proxy credentials (Proxy-Authorization) were sent"
            case .malformed: return "the proxy credentials are not an Airlock token"
            case .badSignature: return "the proxy token's signature does not verify"
            case .expired(let sandbox, let at):
                return "the proxy token for sandbox \(sandbox) expired at \(at) (Unix time)"
            case .unknownSandbox(let name):
                return "the proxy token names sandbox '\(name)', which the policy does not define"
            case .wrongSandbox(let token, let address):
                return "the proxy token names sandbox '\(token)' but the client address belongs to sandbox '\(address)'"
            case .unboundAddress(let sandbox, let address):
                return "the proxy token is bound to the addresses of sandbox '\(sandbox)' and \(address) is not one of them"
            }
        }
    }

    /// The token text under `key`.
    public func mint(key: [UInt8]) -> String {
        let body = (boundToSandboxAddresses ? Self.boundPrefix : Self.prefix) + sandbox + "." + String(expiry)
        return body + "." + Self.hex(HMACSHA256.authenticationCode(key: key, message: Array(body.utf8)))
    }

    /// Verifies a token's form, tag and expiry.
    public static func verify(_ text: String, key: [UInt8], now: Int64) -> Result<ProxyToken, Failure> {
        let bound = text.hasPrefix(boundPrefix)
        guard text.hasPrefix(prefix) || bound, text.utf8.count <= 256 else { return .failure(.malformed) }
        guard let tagDot = text.lastIndex(of: ".") else { return .failure(.malformed) }
        let body = text[..<tagDot]
        let tagText = text[text.index(after: tagDot)...]
        // The expiry's dot must come after the prefix's: `v1.X.<tag>` has no sandbox, and reading one
        // from the prefix's dot would be a reversed range (a crash any client could send; found by fuzzing).
        guard let sandboxStart = body.index(body.startIndex, offsetBy: prefix.count, limitedBy: body.endIndex),
            let expiryDot = body.lastIndex(of: "."), expiryDot > sandboxStart, let tag = unhex(tagText),
            tag.count == 32
        else {
            return .failure(.malformed)
        }
        let sandbox = body[sandboxStart..<expiryDot]
        let expiryText = body[body.index(after: expiryDot)...]
        guard !sandbox.isEmpty, !expiryText.isEmpty, expiryText.allSatisfy({ $0.isASCII && $0.isNumber }),
            let expiry = Int64(expiryText)
        else { return .failure(.malformed) }
        guard HMACSHA256.constantTimeEqual(HMACSHA256.authenticationCode(key: key, message: Array(body.utf8)), tag)
        else {
            return .failure(.badSignature)
        }
        guard now < expiry else { return .failure(.expired(sandbox: String(sandbox), at: expiry)) }
        return .success(ProxyToken(sandbox: String(sandbox), expiry: expiry, boundToSandboxAddresses: bound))
    }

    /// The token inside a `Proxy-Authorization` value: `Bearer TOKEN`, or `Basic` of `user:TOKEN`
    /// (the user part is ignored; the token says who it is).
    public static func credential(fromProxyAuthorization value: String) -> String? {
        let parts = value.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2 else { return nil }
        let scheme = parts[0].lowercased()
        let rest = parts[1].trimmingCharacters(" ")
        if scheme == "bearer" { return rest }
        guard scheme == "basic", rest.utf8.count <= 4096, case .success(let decoded) = Base64.decode(rest) else {
            return nil
        }
        guard let colon = decoded.firstIndex(of: UInt8(ascii: ":")) else { return nil }
        return String(decoding: decoded[(colon + 1)...], as: UTF8.self)
    }

    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func unhex(_ text: Substring) -> [UInt8]? {
        let chars = Array(text.utf8)
        guard chars.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        var i = 0
        while i < chars.count {
            guard let hi = nibble(chars[i]), let lo = nibble(chars[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
            i += 2
        }
        return out
    }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: return c - 0x30
        case 0x61...0x66: return c - 0x61 + 10
        default: return nil
        }
    }
}

extension Substring {
    func trimmingCharacters(_ c: Character) -> String {
        var s = self
        while s.first == c { s = s.dropFirst() }
        while s.last == c { s = s.dropLast() }
        return String(s)
    }
}
