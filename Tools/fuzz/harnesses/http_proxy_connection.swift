// One HTTP egress proxy connection (the ConnectionMachine, no sockets) driven by hostile bytes from
// both sides: request heads, bodies and pipelined requests from the sandbox, CONNECT with whatever
// follows, and response heads and bodies from the origin, with resolutions, connects, failures,
// closes and timeouts in any order.
//
// Input: operations until the input ends. Each starts with a byte whose bits 0-2 give the kind:
//   0  client bytes: [2-byte length][bytes], appended to what the client sent and not yet consumed
//   1  the pending resolution answers (bits 3-4: the allowed 198.18.50.5, a public 93.184.216.34,
//      private 10.0.0.1 and ::1, or 3 = refused; bit 5 instead: failed)
//   2  the pending connect succeeds
//   3  the pending connect fails
//   4  upstream bytes: [2-byte length][bytes]
//   5  the upstream closes
//   6  the client closes
//   7  time passes: [step byte] (see timeStep), then the machine's timers run
// Beyond "no crash": what the proxy sends an origin on a plain-HTTP connection is always a sequence
// of complete request heads, each followed by exactly the body its framing announces (anything else
// lets a client smuggle a request past the policy), and every decision log line is one JSON object.
import AirlockEnforcement
import AirlockEvents
import AirlockHTTPProxy
import AirlockHTTPWire
import AirlockPolicy
import AirlockTLSWire
import Foundation

private let policyText = """
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
      upload_budget: {bytes: 4000, window_seconds: 60}
    sandboxes:
      - name: agent
        match: [198.18.1.0/24]
    """
private let snapshot: PolicySnapshot = {
    let policy = try! PolicyLoader.load(
        text: policyText, name: "fuzz.yaml", knownDetectionKeys: PolicySnapshot.knownDetectionKeys)
    return try! PolicySnapshot(
        policy: policy, defaultUpstreams: [Endpoint(address: IPAddress("198.18.0.53")!, port: 53)])
}()
private let answers: [ResolveOutcome] = [
    .addresses([IPAddress("198.18.50.5")!], ttl: 60), .addresses([IPAddress("93.184.216.34")!], ttl: 300),
    .addresses([IPAddress("10.0.0.1")!, IPAddress("::1")!], ttl: 60), .refused(rule: "dns.deny", reason: "fuzz"),
]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHTTPProxyConnection(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    var configuration = HTTPProxyConfiguration(listen: [Endpoint(address: IPAddress("127.0.0.1")!, port: 3128)])
    // With a key, every Proxy-Authorization value is read as a token (not required, so requests
    // without one still get through to the rest of the machine).
    configuration.tokenKey = Array("fuzzing key, not a secret: 32 by".utf8)
    let context = EgressContext(configuration: configuration, policies: PolicyStore(snapshot))
    var wall = fuzzEpoch
    var monotonic: Int64 = 1_000_000_000
    var now: ProxyTime { ProxyTime(wall: Timestamp(nanoseconds: wall), monotonic: monotonic) }
    var machine = ConnectionMachine(
        context: context, client: Endpoint(address: IPAddress("198.18.1.7")!, port: 40_000), now: now)
    var fromClient: [UInt8] = []
    var fromUpstream: [UInt8] = []
    var upstream = UpstreamStream()
    var resolving = false
    var connecting = false
    while !input.isAtEnd, !machine.isClosed {
        let op = input.byte()
        wall += 1_000_000
        monotonic += 1_000_000
        var actions: [ConnectionAction]
        switch op & 0x07 {
        case 0:
            fromClient += input.chunk()
            actions = machine.clientData(&fromClient, now: now)
        case 1:
            guard resolving else { continue }
            resolving = false
            let outcome = op & 0x20 != 0 ? .failed("fuzz") : answers[Int(op >> 3 & 0x03)]
            actions = machine.resolved(outcome, now: now)
        case 2:
            guard connecting else { continue }
            connecting = false
            actions = machine.upstreamConnected(now: now)
        case 3:
            guard connecting else { continue }
            connecting = false
            actions = machine.upstreamFailed(reason: "fuzz", now: now)
        case 4:
            fromUpstream += input.chunk()
            actions = machine.upstreamData(&fromUpstream, now: now)
        case 5:
            actions = machine.upstreamClosed(now: now)
        case 6:
            actions = machine.clientClosed(now: now)
        default:
            let step = max(0, timeStep(input.byte()))
            wall += step
            monotonic += step
            actions = machine.tick(now: now)
        }
        for action in actions {
            switch action {
            case .resolve: resolving = true
            case .connect:
                connecting = true
                upstream = UpstreamStream()
                fromUpstream = []
            case .sendUpstream(let bytes): upstream.append(bytes)
            case .relay: upstream.isTunnel = true
            case .closeUpstream, .close, .sendClient: break
            }
        }
        for record in machine.takeRecords() {
            if fuzzVerbose { note("\(record.action) \(record.stage) \(record.reason ?? "")") }
            checkLogLine(record)
        }
    }
    if fuzzVerbose { note("upstream: \(upstream.bytes.count) bytes, tunnel \(upstream.isTunnel)") }
    return 0
}

/// Everything sent to one upstream connection, checked as it grows.
private struct UpstreamStream {
    var bytes: [UInt8] = []
    /// A CONNECT tunnel: the bytes are the client's, not HTTP.
    var isTunnel = false

    mutating func append(_ more: [UInt8]) {
        // A CONNECT tunnel starts with the ClientHello the proxy held back while it connected.
        if bytes.isEmpty, case .clientHello = ClientHelloParser.parse(more.span) { isTunnel = true }
        bytes += more
        if !isTunnel { checkRequests() }
    }

    /// Complete request heads, each followed by the body its framing announces; the last body may
    /// still be arriving.
    func checkRequests() {
        var position = 0
        var index = 0
        while position < bytes.count {
            let rest = Array(bytes[position...])
            guard case .complete(let head) = HTTPRequestParser.parse(rest.span) else {
                return require(
                    false,
                    "request \(index) sent upstream does not parse (\(HTTPRequestParser.parse(rest.span))): \(hex(bytes))"
                )
            }
            position += head.headLength
            index += 1
            switch head.framing {
            case .none, .untilClose: break
            case .contentLength(let length): position += Int(length)
            case .chunked:
                var decoder = ChunkedBodyDecoder()
                switch decoder.consume(Array(bytes[min(position, bytes.count)...]).span) {
                case .done(let consumed): position += consumed
                case .needMoreData: return
                case .failure(let error): return require(false, "a chunked body sent upstream is broken: \(error)")
                }
            }
        }
    }
}

private func checkLogLine(_ record: HTTPDecisionRecord) {
    var line: [UInt8] = []
    HTTPDecisionFormat.append(record, to: &line)
    require(line.last == 0x0A && line.dropLast().allSatisfy { $0 != 0x0A }, "a decision log entry that is not one line")
    let parsed = try? JSONSerialization.jsonObject(with: Data(line))
    require(parsed is [String: Any], "a log line that is not a JSON object: \(String(decoding: line, as: UTF8.self))")
}
