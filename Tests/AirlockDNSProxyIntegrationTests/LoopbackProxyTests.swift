import AirlockTestSupport
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

private let loopbackTools = ["nsd", "dig", "kdig", "python3"]

private func policy(upstream: String, extra: String = "", timeoutMs: Int = 1000, attempts: Int = 2) -> String {
    """
    version: 1
    mode: enforce
    dns:
      default: allow
      deny: [evil.example.com]
      quarantine_seconds: 600
      upstreams: ["\(upstream)"]
      timeout_ms: \(timeoutMs)
      attempts: \(attempts)
    \(extra)
    """
}

/// `airlock serve` between real clients (dig, kdig) and a real authoritative server (NSD), on loopback.
extension DNSProxyIntegration {
    @Suite(.serialized, .enabled(if: Lab.enabled(loopbackTools, root: false), "needs nsd, dig, kdig, python3"))
    struct LoopbackProxyTests {
        @Test func servesUDPAndTCPOverIPv4AndIPv6WithEDNS() throws {
            let lab = try Lab()
            let nsdPort = Lab.freePort()
            let port = Lab.freePort()
            try lab.startNSD("127.0.0.1@\(nsdPort)", zones: [("example.com", exampleZone)])
            #expect(
                Lab.waitFor(5) {
                    (try? Lab.dig(["@127.0.0.1", "-p", "\(nsdPort)", "+short", "www.example.com"]))?.stdout.contains(
                        "93.184") == true
                })
            let p = try lab.write("policy.yaml", policy(upstream: "127.0.0.1:\(nsdPort)"))
            try lab.startAirlock(policy: p, listen: ["127.0.0.1:\(port)", "[::1]:\(port)"])

            let udp4 = try Lab.dig(["@127.0.0.1", "-p", "\(port)", "+short", "www.example.com"])
            #expect(udp4.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "93.184.216.34")
            let tcp6 = try Lab.dig(["@::1", "-p", "\(port)", "+tcp", "+short", "www.example.com", "AAAA"])
            #expect(tcp6.stdout.contains("2606:2800:220:1:248:1893:25c8:1946"))
            let kdig = try Lab.run(
                "/usr/bin/kdig", ["@127.0.0.1", "-p", "\(port)", "+tcp", "+short", "mail.example.com", "MX"],
                timeout: 10)
            #expect(kdig.stdout.contains("www.example.com"))
            // EDNS options stay behind (UpstreamQueryWriter): dig's NSID request does not reach NSD,
            // so no NSID comes back, while the answer does (and EDNS with it).
            let nsid = try Lab.dig(["@127.0.0.1", "-p", "\(port)", "+nsid", "ns1.example.com"])
            #expect(nsid.stdout.contains("93.184.216.34") && nsid.stdout.contains("OPT PSEUDOSECTION"))
            #expect(!nsid.stdout.contains("airlock-test-nsd"))
            // A deny rule, and a public name answering with loopback and metadata addresses.
            for name in ["evil.example.com", "rebind.example.com", "metadata.example.com"] {
                #expect(try Lab.dig(["@127.0.0.1", "-p", "\(port)", name]).stdout.contains("status: NXDOMAIN"))
            }
            // Too big for a plain UDP client: TC set, then the whole answer over TCP.
            let udpBig = try Lab.dig(["@127.0.0.1", "-p", "\(port)", "+noedns", "+ignore", "big.example.com", "TXT"])
            #expect(udpBig.stdout.contains(" tc"))
            let tcpBig = try Lab.dig(["@127.0.0.1", "-p", "\(port)", "+tcp", "big.example.com", "TXT"])
            #expect(tcpBig.stdout.contains("ccccc"))

            let log = lab.decisions()
            #expect(
                log.contains { $0["name"] as? String == "evil.example.com" && $0["rule"] as? String == "dns.deny[0]" })
            #expect(
                log.contains { $0["name"] as? String == "rebind.example.com" && $0["stage"] as? String == "answer" })
            #expect(
                log.contains {
                    $0["transport"] as? String == "tcp" && ($0["client"] as? String)?.hasPrefix("[::1]") == true
                })
            #expect(log.allSatisfy { ($0["policy_version"] as? String)?.hasPrefix("sha256:") == true })
        }

        /// An upstream that refuses (port closed), never answers, answers late, or answers garbage: the
        /// client gets SERVFAIL within attempts × timeout, and the proxy keeps serving.
        @Test func failingUpstreamsGiveServfailInTimeAndTheProxyStaysUp() throws {
            let lab = try Lab()
            let server = """
                import os, random, socket, sys, time
                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                s.bind(("127.0.0.1", int(sys.argv[1])))
                mode = sys.argv[2]
                end = time.time() + 60
                while time.time() < end:
                    data, peer = s.recvfrom(4096)
                    if mode == "silent":
                        continue
                    if mode == "late":
                        time.sleep(0.5)
                        s.sendto(data[:2] + bytes([data[2] | 0x80]) + data[3:], peer)
                    if mode == "garbage":
                        for _ in range(5):
                            s.sendto(data[:2] + os.urandom(random.randint(0, 80)), peer)
                        # A well-formed answer to a different question under the same ID.
                        other = data[:2] + b"\\x81\\x80\\x00\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x05other\\x07example\\x00\\x00\\x01\\x00\\x01"
                        s.sendto(other, peer)
                """
            let script = try lab.write("upstream.py", server)
            let cases: [(mode: String, maxSeconds: Double)] = [
                ("closed", 0.5), ("silent", 1.5), ("late", 1.5), ("garbage", 1.5),
            ]
            for (mode, maxSeconds) in cases {
                let upstreamPort = Lab.freePort()
                let port = Lab.freePort()
                if mode != "closed" {
                    try lab.start("/usr/bin/env", ["python3", script, "\(upstreamPort)", mode], log: "py-\(mode)")
                    #expect(Lab.udpBound(upstreamPort), "the \(mode) upstream listens")
                }
                let p = try lab.write(
                    "policy-\(mode).yaml", policy(upstream: "127.0.0.1:\(upstreamPort)", timeoutMs: 300, attempts: 2))
                let proxy = try lab.startAirlock(policy: p, listen: ["127.0.0.1:\(port)"], label: "airlock-\(mode)")
                for i in 0..<3 {
                    let r = try Lab.dig(["@127.0.0.1", "-p", "\(port)", "q\(i).example.com"])
                    #expect(r.stdout.contains("status: SERVFAIL"), "\(mode): \(r.stdout)")
                    #expect(r.seconds < maxSeconds, "\(mode): SERVFAIL after \(r.seconds) s")
                }
                #expect(proxy.isRunning)
                // The decision log is written by its own thread: the third line may land just after dig returns.
                var failures = 0
                eventually(seconds: 5) {
                    failures = lab.decisions("airlock-\(mode)").filter { $0["action"] as? String == "servfail" }.count
                    return failures >= 3
                }
                #expect(failures == 3, "\(mode)")
                lab.stop(proxy)
            }
        }

        @Test func sighupReloadsAGoodPolicyAndRefusesABadOne() throws {
            let lab = try Lab()
            let nsdPort = Lab.freePort()
            let port = Lab.freePort()
            try lab.startNSD("127.0.0.1@\(nsdPort)", zones: [("example.com", exampleZone)])
            let p = try lab.write("policy.yaml", policy(upstream: "127.0.0.1:\(nsdPort)"))
            let proxy = try lab.startAirlock(policy: p, listen: ["127.0.0.1:\(port)"])
            #expect(
                Lab.waitFor(5) {
                    (try? Lab.dig(["@127.0.0.1", "-p", "\(port)", "+short", "www.example.com"]))?.stdout.contains(
                        "93.184")
                        == true
                })

            _ = try lab.write(
                "policy.yaml",
                policy(upstream: "127.0.0.1:\(nsdPort)").replacing(
                    "deny: [evil.example.com]", with: "deny: [www.example.com]"))
            kill(proxy.processIdentifier, SIGHUP)
            #expect(Lab.waitFor(5) { lab.read("airlock.err").contains("reloaded") })
            #expect(
                try Lab.dig(["@127.0.0.1", "-p", "\(port)", "www.example.com"]).stdout.contains("status: NXDOMAIN"))

            _ = try lab.write("policy.yaml", "version: 1\ndns:\n  default: alow\n  deny: [\n")
            kill(proxy.processIdentifier, SIGHUP)
            #expect(Lab.waitFor(5) { lab.read("airlock.err").contains("refused") })
            let err = lab.read("airlock.err")
            #expect(err.contains("policy.yaml:"), "the refusal names file and line: \(err)")
            // The previous policy is still in force.
            #expect(
                try Lab.dig(["@127.0.0.1", "-p", "\(port)", "www.example.com"]).stdout.contains("status: NXDOMAIN"))
            #expect(
                try Lab.dig(["@127.0.0.1", "-p", "\(port)", "+short", "mail.example.com", "MX"]).stdout.contains(
                    "www.example.com"))
            #expect(proxy.isRunning)
        }

        @Test func badClientPacketsAreAnsweredOrDroppedAndCounted() throws {
            let lab = try Lab()
            let nsdPort = Lab.freePort()
            let port = Lab.freePort()
            try lab.startNSD("127.0.0.1@\(nsdPort)", zones: [("example.com", exampleZone)])
            let p = try lab.write("policy.yaml", policy(upstream: "127.0.0.1:\(nsdPort)"))
            let proxy = try lab.startAirlock(policy: p, listen: ["127.0.0.1:\(port)"], extra: ["--threads", "1"])

            let truncated: [UInt8] = [0xAB, 0xCD, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 3, 0x77]
            let formerr = udpExchange(truncated, port: port)
            #expect(formerr?.count == 12 && formerr?[3] == 0x01 && formerr?[0] == 0xAB)
            let loop: [UInt8] = [0, 7, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0x61, 0xC0, 12, 0, 1, 0, 1]
            #expect(udpExchange(loop, port: port)?[3] == 0x01)
            let oversized = queryBytes("www.example.com", id: 9) + [UInt8](repeating: 0x41, count: 8000)
            #expect(udpExchange(oversized, port: port)?[3] == 0x01)
            // Noise and short packets get no answer at all.
            #expect(udpExchange([1, 2, 3], port: port, timeout: 0.3) == nil)
            var generator = SystemRandomNumberGenerator()
            for _ in 0..<2000 {
                let noise = (0..<Int.random(in: 0..<200, using: &generator)).map { _ in
                    UInt8.random(in: 0...255, using: &generator)
                }
                _ = udpExchange(noise, port: port, timeout: 0)
            }
            // Still serving.
            let answer = udpExchange(queryBytes("www.example.com", id: 0x7777), port: port)
            #expect(answer?[0] == 0x77 && answer.map { $0[3] & 0x0F } == 0)
            #expect(proxy.isRunning)
            // Counters reach the status line within a second or two (workers publish once a second).
            let counted = Lab.waitFor(5) {
                kill(proxy.processIdentifier, SIGUSR1)
                return Lab.waitFor(0.5) {
                    let stats = lab.read("airlock.err")
                    return stats.contains("\"compression_loop\":") && stats.contains("\"oversized\":1")
                        && stats.contains("\"truncated_question\":")
                }
            }
            #expect(counted, "\(lab.read("airlock.err"))")
        }
    }
}
