import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A loopback upstream that answers every query with one A record (198.18.0.1) after `delay` seconds.
private let delayedUpstream = """
    import socket, struct, sys, threading, time
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", int(sys.argv[1])))
    delay = float(sys.argv[2])
    def answer(q, peer):
        i = 12
        while i < len(q) and q[i] != 0:
            i += q[i] + 1
        head = q[:2] + b"\\x81\\x80\\x00\\x01\\x00\\x01\\x00\\x00\\x00\\x00"
        rr = b"\\xc0\\x0c" + struct.pack("!HHIH", 1, 1, 300, 4) + bytes([198, 18, 0, 1])
        s.sendto(head + q[12:i + 5] + rr, peer)
    end = time.time() + 60
    while time.time() < end:
        q, peer = s.recvfrom(4096)
        if len(q) > 12:
            print("query", q[:2].hex(), flush=True)
            threading.Timer(delay, answer, (q, peer)).start()
    """

/// Answers to 198.18.0.1 are "private" (benchmarking range): only example.com may receive them; any
/// other name's answer is refused as rebinding, which raises a policy-denial alert.
private func faultPolicy(upstream: UInt16) -> String {
    """
    version: 1
    mode: enforce
    dns:
      default: allow
      deny: [evil.example.com]
      upstreams: ["127.0.0.1:\(upstream)"]
      timeout_ms: 2000
      attempts: 1
      rebinding:
        allow_private_answers_for: [.example.com]
    """
}

/// Every alert sink pointed at a port where nothing listens; the webhook and TCP syslog spool to `dir`.
private func deadSinks(dir: String, port: UInt16) -> String {
    """
    alerts:
      window_seconds: 60
      shutdown_drain_seconds: 1
      syslog:
        - {transport: udp, host: 127.0.0.1, port: \(port)}
        - {transport: tcp, host: 127.0.0.1, port: \(port), spool: \(dir)/syslog-spool, timeout_ms: 200}
      webhook: {url: "http://127.0.0.1:\(port)/alerts", spool: \(dir)/webhook-spool, timeout_ms: 200, backoff_max_seconds: 1}
    """
}

/// A UDP client socket that sends many queries before reading any answer.
private final class UDPClient {
    let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
    var address = sockaddr_in()

    init(port: UInt16) {
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr = in_addr(s_addr: UInt32(0x7F00_0001).bigEndian)
    }

    deinit { close(fd) }

    func send(_ bytes: [UInt8]) {
        _ = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                bytes.withUnsafeBytes {
                    sendto(fd, $0.baseAddress, $0.count, 0, sa, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        }
    }

    /// Answers by ID (rcode), until `count` arrived or `timeout` seconds passed.
    func receive(_ count: Int, timeout: Double) -> [UInt16: UInt8] {
        var tv = timeval(tv_sec: 0, tv_usec: 100_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var out: [UInt16: UInt8] = [:]
        var buffer = [UInt8](repeating: 0, count: 4096)
        let deadline = Date().addingTimeInterval(timeout)
        while out.count < count && Date() < deadline {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n >= 12 { out[UInt16(buffer[0]) << 8 | UInt16(buffer[1])] = buffer[3] & 0x0F }
        }
        return out
    }
}

/// Faults injected into a running `airlock serve` (Deploy/FAULTS.md lists them with the older tests).
extension DNSProxyIntegration {
    @Suite(.serialized, .enabled(if: Lab.enabled(["python3"], root: false), "needs python3"))
    struct FaultTests {
        /// SIGTERM while 40 queries wait on a slow upstream: every one is answered (NOERROR, not dropped
        /// or SERVFAIL), the process exits 0 within a bound, and an alert raised during the drain
        /// reaches the (dead) webhook's spool on disk.
        @Test func sigtermDuringLoadAnswersInFlightQueriesExitsZeroAndFlushesTheSpool() throws {
            let lab = try Lab()
            let upstream = Lab.freePort()
            let port = Lab.freePort()
            let script = try lab.write("upstream.py", delayedUpstream)
            try lab.start("/usr/bin/env", ["python3", script, "\(upstream)", "0.6"], log: "upstream")
            #expect(Lab.udpBound(upstream), "the upstream listens")
            let policy = try lab.write("policy.yaml", faultPolicy(upstream: upstream))
            let alerts = try lab.write("alerts.yaml", deadSinks(dir: lab.dir.path, port: Lab.freePort()))
            let proxy = try lab.startAirlock(policy: policy, listen: ["127.0.0.1:\(port)"], extra: ["--alerts", alerts])

            let client = UDPClient(port: port)
            for i in 0..<40 { client.send(queryBytes("q\(i).example.com", id: UInt16(i))) }
            // In flight too: an answer the rebinding check refuses, whose alert is raised mid-drain.
            client.send(queryBytes("www.rebind-during-drain.test", id: 1000))
            // SIGTERM once every query is in flight: the upstream has them all, none answered yet.
            #expect(Lab.waitFor(5) { lab.read("upstream.out").split(separator: "\n").count >= 41 }, "queries reached the upstream")
            let stopped = Date()
            kill(proxy.processIdentifier, SIGTERM)
            // Bounds leave room for a loaded CI machine (other suites run in parallel); a proxy that dropped
            // in-flight queries or hung on its sinks still fails them.
            let answers = client.receive(41, timeout: 8)
            #expect(Lab.waitFor(10) { !proxy.isRunning }, "still running 10 s after SIGTERM")
            let exitSeconds = Date().timeIntervalSince(stopped)
            proxy.waitUntilExit()

            #expect(answers.count == 41, "answered \(answers.count) of 41 in-flight queries")
            #expect((0..<40).allSatisfy { answers[UInt16($0)] == 0 }, "\(answers)")
            #expect(answers[1000] == 3, "the refused rebinding answer is NXDOMAIN")
            #expect(proxy.terminationStatus == 0)
            // The bound: the drain (0.6 s here, at most attempts × timeout) plus each spooled sink's
            // shutdown_drain_seconds (two sinks × 1 s against a dead receiver).
            #expect(exitSeconds < 10, "exit took \(exitSeconds) s")
            #expect(lab.read("airlock.err").contains("stopped; stats"))
            let spool = try FileManager.default.contentsOfDirectory(atPath: lab.path("webhook-spool"))
                .filter { $0.hasPrefix("segment-") }
                .map { (try? Data(contentsOf: URL(fileURLWithPath: lab.path("webhook-spool/\($0)")))) ?? Data() }
                .reduce(Data(), +)
            #expect(
                String(decoding: spool, as: UTF8.self).contains("rebind-during-drain.test"),
                "the alert raised during the drain is in the spool (\(spool.count) bytes)")
            print("fault sigterm: \(answers.count)/41 in-flight answered, exit \(proxy.terminationStatus) after \(exitSeconds) s, spool \(spool.count) bytes")
        }

        /// SIGHUP after the policy file was removed, then after it was overwritten with binary junk:
        /// both refused with a line naming the file, the running policy keeps deciding.
        @Test func removedOrCorruptedPolicyAtReloadKeepsTheRunningOne() throws {
            let lab = try Lab()
            let upstream = Lab.freePort()
            let port = Lab.freePort()
            let script = try lab.write("upstream.py", delayedUpstream)
            try lab.start("/usr/bin/env", ["python3", script, "\(upstream)", "0"], log: "upstream")
            #expect(Lab.udpBound(upstream), "the upstream listens")
            let policy = try lab.write("policy.yaml", faultPolicy(upstream: upstream))
            let proxy = try lab.startAirlock(policy: policy, listen: ["127.0.0.1:\(port)"])
            func rcode(_ name: String) -> UInt8? { udpExchange(queryBytes(name, id: 77), port: port).map { $0[3] & 0x0F } }
            #expect(rcode("www.example.com") == 0)
            #expect(rcode("evil.example.com") == 3)

            try FileManager.default.removeItem(atPath: policy)
            kill(proxy.processIdentifier, SIGHUP)
            #expect(Lab.waitFor(5) { lab.read("airlock.err").components(separatedBy: "refused, still running").count == 2 })
            try Data((0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 131 &+ 7) }).write(to: URL(fileURLWithPath: policy))
            kill(proxy.processIdentifier, SIGHUP)
            #expect(Lab.waitFor(5) { lab.read("airlock.err").components(separatedBy: "refused, still running").count == 3 })

            let err = lab.read("airlock.err")
            let refusals = err.split(separator: "\n").filter { $0.contains("SIGHUP: policy") }
            #expect(refusals.count == 2 && refusals.allSatisfy { $0.contains("policy.yaml refused, still running sha256:") }, "\(err)")
            #expect(rcode("www.example.com") == 0, "the old policy still forwards")
            #expect(rcode("evil.example.com") == 3, "the old policy still denies")
            #expect(proxy.isRunning)
            print("fault reload: \(refusals.joined(separator: " | "))")
        }

        /// Every alert sink down (webhook, TCP and UDP syslog to a closed port) while 300 queries, 100 of
        /// them raising alerts, pass: each query is still answered promptly, and the proxy keeps serving.
        @Test func deadAlertSinksLeaveTheDNSPathUnaffected() throws {
            let lab = try Lab()
            let upstream = Lab.freePort()
            let port = Lab.freePort()
            let script = try lab.write("upstream.py", delayedUpstream)
            try lab.start("/usr/bin/env", ["python3", script, "\(upstream)", "0"], log: "upstream")
            #expect(Lab.udpBound(upstream), "the upstream listens")
            let policy = try lab.write("policy.yaml", faultPolicy(upstream: upstream))
            let alerts = try lab.write("alerts.yaml", deadSinks(dir: lab.dir.path, port: Lab.freePort()))
            let proxy = try lab.startAirlock(policy: policy, listen: ["127.0.0.1:\(port)"], extra: ["--alerts", alerts])

            var slowest = 0.0
            var answered = 0
            let run = Date()
            for i in 0..<300 {
                // One in three raises an alert (a rebinding refusal for a new domain), one is denied by rule.
                let name = i % 3 == 0 ? "www.example.com" : i % 3 == 1 ? "a.rebind\(i).test" : "evil.example.com"
                let started = Date()
                if let answer = udpExchange(queryBytes(name, id: UInt16(i)), port: port, timeout: 3) {
                    answered += 1
                    slowest = max(slowest, Date().timeIntervalSince(started))
                    #expect(answer[3] & 0x0F == (i % 3 == 0 ? 0 : 3), "\(name)")
                }
            }
            let total = Date().timeIntervalSince(run)
            #expect(answered == 300)
            // A DNS path that waited on the dead sinks (200 ms timeouts) would take ≥ 20 s for the 100
            // alert-raising queries; the bounds leave room for a loaded machine, not for that.
            #expect(total < 10, "300 queries took \(total) s")
            #expect(slowest < 1, "slowest answer \(slowest) s")
            #expect(proxy.isRunning)
            print("fault dead sinks: \(answered)/300 answered, slowest \(Int(slowest * 1000)) ms")
        }
    }
}
