// The policy loader (YAML through libyaml, schema decoder, builder) on arbitrary file contents.
//
// Input: a policy file (the whole input). A policy that loads is then asked for decisions (DNS
// names, answers, HTTP hosts and destinations, for clients inside and outside its sandboxes) and
// summarised, since compiled rules (host patterns, CIDRs) are code the loader's output drives. A
// policy that does not load must say why, at places inside the file.
import AirlockEvents
import AirlockPolicy

private let detectionKeys = PolicyLoader.engineDetectionKeys
private let clients = ["198.18.0.2", "10.1.2.3", "192.168.0.1", "::1", "2001:db8::53"].compactMap { IPAddress($0) }
private let names =
    ["example.com", "www.example.com", "api.github.com", "pypi.org", "a.b.c.d.e.f.g", "localhost"]
    .compactMap { DNSName($0) } + [DNSName(labels: [[UInt8]]())!]
private let hosts = ["example.com", "WWW.Example.COM", "api.github.com", "169.254.169.254", "[::1]", "", "*.com"]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPolicyYAML(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = FuzzInput(data, size).bytes
    // An upper bound on the lines libyaml counts: it breaks lines at LF, CR, CR LF and the Unicode
    // breaks NEL (C2 85), LS (E2 80 A8) and PS (E2 80 A9).
    let lines = bytes.reduce(1) { $0 + ([0x0A, 0x0D, 0x85, 0xA8, 0xA9].contains($1) ? 1 : 0) }
    do {
        let policy = try PolicyLoader.load(bytes: bytes, name: "fuzz.yaml", knownDetectionKeys: detectionKeys)
        require(policy.version.utf8.count == 64, "policy version is not a SHA-256: \(policy.version)")
        _ = PolicyChecker.summary(policy)
        for warning in policy.warnings {
            require(warning.location.line <= lines + 1, "warning at line \(warning.location.line) of \(lines)")
            _ = warning.description
        }
        for client in clients {
            let sandbox = policy.sandbox(for: client)
            if let name = sandbox.name {
                require(policy.sandbox(named: name) != nil, "sandbox \(name) matched but cannot be found by name")
            }
            for name in names {
                _ = sandbox.decideDNS(name: name, qtype: DNSRecordType.a)
                _ = sandbox.decideDNS(name: name, qtype: DNSRecordType.txt)
                _ = sandbox.decideDNSAnswer(name: name, address: client)
            }
            for host in hosts {
                _ = sandbox.decideHTTP(host: host, port: 443)
                _ = sandbox.decideHTTP(host: host, port: 80)
            }
            _ = sandbox.decideHTTPDestination(address: client)
        }
    } catch {
        require(!error.diagnostics.isEmpty, "a policy refused without a reason")
        for diagnostic in error.diagnostics {
            require(diagnostic.location.line <= lines + 1, "problem at line \(diagnostic.location.line) of \(lines)")
            require(!diagnostic.description.isEmpty, "an empty diagnostic")
        }
    }
    return 0
}
