import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `airlock watch -i IFACE`: passive capture on a veth in a network namespace while a real iodine
/// client talks to a real iodined on the other end (198.18.30.0/24, nothing leaves the namespaces).
/// Airlock is not in the path: it only listens, and must print the tunnel verdict as it happens,
/// write the Zeek-style log, and stop cleanly on SIGTERM with a summary.
@Suite(
    .serialized,
    .enabled(if: Lab.enabled(["ip", "iodine", "iodined"], root: true), "needs root, iproute2, iodine"))
struct WatchTests {
    @Test func watchSeesAnIodineTunnelOnAVethAsItHappens() throws {
        let lab = try Lab()
        let client = try lab.namespace("wcl")
        let server = try lab.namespace("wsv")
        try lab.link(client, "198.18.30.2/24", server, "198.18.30.1/24", name: "w")
        try lab.start(
            "/usr/sbin/iodined",
            ["-f", "-c", "-l", "198.18.30.1", "-p", "53", "-P", "airlock-test", "198.18.31.1/24", "t1.watch.test"],
            namespace: server, log: "iodined")
        #expect(Lab.waitFor(5) { (lab.read("iodined.err") + lab.read("iodined.out")).contains("Listening") })

        let dnsLog = lab.path("dns.log")
        let watch = try lab.start(
            Lab.airlock, ["watch", "-i", "wa\(lab.tag)", "--filter", "udp port 53 or (ip[6:2] & 0x3fff != 0)", "--jsonl", "--dns-log", dnsLog],
            namespace: client, log: "watch")
        #expect(Lab.waitFor(10) { lab.read("watch.err").contains("watching wa\(lab.tag)") }, "\(lab.read("watch.err"))")

        // DNS mode forced (-r): every byte goes through queries to 198.18.30.1:53, which watch sees.
        let iodine = try lab.start(
            "/usr/sbin/iodine", ["-f", "-r", "-P", "airlock-test", "198.18.30.1", "t1.watch.test"], namespace: client,
            log: "iodine")
        let sawVerdict = Lab.waitFor(30) { lab.read("watch.out").contains("\"verdict\":\"tunnel\"") }
        // iodined answers lazily (it holds a query until it has data or a timeout passes): let one
        // answer arrive so the log shows a joined transaction.
        _ = Lab.waitFor(10) { lab.read("dns.log").contains("\"answers\"") }
        lab.stop(iodine)
        #expect(sawVerdict, "watch: \(lab.read("watch.err"))\niodine: \(lab.read("iodine.err"))")
        lab.stop(watch)
        #expect(watch.terminationStatus == 0, "\(lab.read("watch.err"))")

        let records = lab.read("watch.out").split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        let alerts = records.filter { $0["alert"] as? Bool == true && $0["verdict"] as? String == "tunnel" }
        #expect(alerts.count == 1)
        #expect(alerts.first?["domain"] as? String == "watch.test")
        #expect((alerts.first?["queries"] as? Int ?? 999) <= 20, "caught within a few queries")
        #expect(lab.read("watch.err").contains("stopped"))

        let log = lab.read("dns.log").split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        #expect(log.contains { $0["airlock.verdict"] as? String == "tunnel" && $0["id.resp_h"] as? String == "198.18.30.1" })
        #expect(log.contains { $0["rtt"] != nil && $0["answers"] != nil }, "joined: \(log.count) records, \(log.filter { $0["rcode"] != nil }.count) answered, \(log.filter { $0["answers"] != nil }.count) with answers; \(lab.read("watch.err"))")
    }

    @Test func aMissingInterfaceIsAClearError() throws {
        let r = try Lab.run(Lab.airlock, ["watch", "-i", "no-such-if0"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("no-such-if0"))
    }
}
