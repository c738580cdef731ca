import AirlockDNSProxy
import AirlockEnforcement
import AirlockEvents
import AirlockHTTPProxy
import AirlockPolicy
import Foundation
import Testing

/// A policy written to a temporary file and loaded the way the proxy loads it.
func loadPolicy(_ yaml: String) throws -> PolicySnapshot {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("airlock-http-\(UUID().uuidString).yaml")
        .path
    try yaml.write(toFile: path, atomically: true, encoding: .utf8)
    defer { try? FileManager.default.removeItem(atPath: path) }
    return try PolicySnapshot.load(
        path: path, defaultUpstreams: [Endpoint(address: IPAddress("198.18.0.53")!, port: 53)])
}

let basePolicy = """
    version: 1
    mode: enforce
    http:
      default: deny
      allow:
        - api.example.com
        - 198.18.50.5
        - {host: .files.example.org, ports: [443]}
      deny: [evil.example.com]
      doh_endpoints: [doh.corp.example]
      allow_private_destinations: [198.18.50.0/24]
      upload_budget: {bytes: 1000, window_seconds: 60}
    sandboxes:
      - name: agent-1
        match: [198.18.1.0/24]
      - name: watcher
        match: [198.18.2.0/24]
        mode: report
    """

/// A fixed clock: wall and monotonic time advance together.
struct Clock {
    var seconds: Double = 1_700_000_000
    var now: ProxyTime {
        ProxyTime(wall: Timestamp(nanoseconds: Int64(seconds * 1e9)), monotonic: Int64((seconds - 1_699_990_000) * 1e9))
    }
    mutating func advance(_ s: Double) { seconds += s }
}

/// A machine for a client at `client`, with the policy and configuration given.
func makeMachine(
    policy: String = basePolicy, client: String = "198.18.1.7",
    configure: (inout HTTPProxyConfiguration) -> Void = { _ in }
) throws -> (ConnectionMachine, EgressContext) {
    var configuration = HTTPProxyConfiguration(listen: [Endpoint(address: .v4(0x7F00_0001), port: 3128)])
    configure(&configuration)
    let shared = EgressContext(configuration: configuration, policies: PolicyStore(try loadPolicy(policy)))
    let machine = ConnectionMachine(
        context: shared, client: Endpoint(address: IPAddress(client)!, port: 40_000), now: Clock().now)
    return (machine, shared)
}

/// The text of the first `sendClient` action.
func clientText(_ actions: [ConnectionAction]) -> String? {
    for case .sendClient(let bytes) in actions { return String(decoding: bytes, as: UTF8.self) }
    return nil
}

func upstreamText(_ actions: [ConnectionAction]) -> String? {
    for case .sendUpstream(let bytes) in actions { return String(decoding: bytes, as: UTF8.self) }
    return nil
}

func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

/// A minimal TLS 1.3-style ClientHello with an optional SNI and ALPN list.
func clientHello(sni: String?, alpn: [String] = []) -> [UInt8] {
    func u16(_ v: Int) -> [UInt8] { [UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }
    var extensions: [UInt8] = []
    if let sni {
        let name = Array(sni.utf8)
        let entry = [UInt8(0)] + u16(name.count) + name
        let list = u16(entry.count) + entry
        extensions += u16(0) + u16(list.count) + list
    }
    if !alpn.isEmpty {
        var protocols: [UInt8] = []
        for p in alpn { protocols += [UInt8(p.utf8.count)] + Array(p.utf8) }
        let body = u16(protocols.count) + protocols
        extensions += u16(16) + u16(body.count) + body
    }
    // supported_versions: TLS 1.3
    extensions += u16(43) + u16(3) + [2, 3, 4]
    var body: [UInt8] = [3, 3] + [UInt8](repeating: 7, count: 32) + [0] + u16(2) + [0x13, 0x01] + [1, 0]
    body += u16(extensions.count) + extensions
    let handshake = [UInt8(1), UInt8(body.count >> 16), UInt8(body.count >> 8 & 0xFF), UInt8(body.count & 0xFF)] + body
    return [22, 3, 1] + u16(handshake.count) + handshake
}

extension Array where Element == ConnectionAction {
    var closes: Bool { contains(.close) }
    var resolveName: String? {
        for case .resolve(let name) in self { return name.description }
        return nil
    }
    var connectTarget: Endpoint? {
        for case .connect(let endpoint) in self { return endpoint }
        return nil
    }
}
