import AirlockDNSProxy
import AirlockEnforcement
import AirlockHTTPProxy

#if canImport(Glibc)
    import Glibc
#endif

/// `airlock token --sandbox NAME --ttl SECONDS --key-file F`: mints a short-lived proxy token.
enum TokenCommand {
    static let usage = """
        usage: airlock token --sandbox NAME --ttl SECONDS --key-file FILE [--bind] [--policy FILE]
               airlock token --new-key FILE [--sandbox NAME --ttl SECONDS ...]

        Prints a proxy token for one agent session: the sandbox name and an expiry, signed with
        HMAC-SHA256 under the key the proxy was started with (--token-key). Use it as the password of
        the proxy URL (http://NAME:TOKEN@proxy:3128) or as 'Proxy-Authorization: Bearer TOKEN'.

          --sandbox NAME     the sandbox the session belongs to
          --ttl SECONDS      lifetime, 1 to 86400 (short: a leaked token is worth little)
          --key-file FILE    the HMAC key (at least 32 bytes, mode 600)
          --bind             accept the token only from the sandbox's own addresses (the policy's
                             sandboxes[].match); without it the token is a bearer token: it also works
                             from an address in no sandbox, for whoever holds a copy
          --policy FILE      check that the policy defines the sandbox
          --new-key FILE     create the key: 32 random bytes, mode 600, never over an existing file
                             (give it to the proxy as --token-key); with --sandbox, also mint a token
        """

    static func run(_ args: [String]) throws -> Int32 {
        let parsed = try Arguments(
            args, valued: ["--sandbox", "--ttl", "--key-file", "--policy", "--new-key"], switches: ["--help", "-h", "--bind"])
        if parsed.has("--help") || parsed.has("-h") {
            OutputStream.standardOutput.line(usage)
            return 0
        }
        if let newKey = parsed.value("--new-key") {
            do { try ProxyKey.create(path: newKey) } catch {
                OutputStream.standardError.line("airlock token: --new-key \(error)")
                return 1
            }
            OutputStream.standardError.line("airlock token: created \(newKey) (32 random bytes, mode 600)")
            if parsed.value("--sandbox") == nil { return 0 }
        }
        guard let sandbox = parsed.value("--sandbox") else { throw UsageError.missingArgument("--sandbox NAME") }
        guard let ttlText = parsed.value("--ttl") else { throw UsageError.missingArgument("--ttl SECONDS") }
        guard let ttl = Int64(ttlText), ttl >= 1, ttl <= 86_400 else {
            throw UsageError.invalidValue(option: "--ttl", value: ttlText, expected: "seconds from 1 to 86400")
        }
        guard let keyPath = parsed.value("--key-file") ?? parsed.value("--new-key") else {
            throw UsageError.missingArgument("--key-file FILE")
        }
        guard !sandbox.isEmpty, sandbox.utf8.count <= 64,
            sandbox.unicodeScalars.allSatisfy({
                $0.isASCII
                    && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "-_.".unicodeScalars.contains($0))
            })
        else {
            throw UsageError.invalidValue(
                option: "--sandbox", value: sandbox, expected: "letters, digits, '-', '_', '.'")
        }
        if let policyPath = parsed.value("--policy") {
            let policy = try PolicySnapshot.load(
                path: policyPath, defaultUpstreams: [.init(address: .v4(0x7F00_0001), port: 53)])
            guard policy.policy.sandbox(named: sandbox) != nil else {
                OutputStream.standardError.line(
                    "airlock token: the policy \(policyPath) defines no sandbox '\(sandbox)'")
                return 1
            }
        }
        let key = try ProxyKey.load(path: keyPath)
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let token = ProxyToken(
            sandbox: sandbox, expiry: Int64(now.tv_sec) + ttl, boundToSandboxAddresses: parsed.has("--bind")
        ).mint(key: key)
        OutputStream.standardOutput.line(token)
        return 0
    }
}
