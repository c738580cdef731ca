import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Three namespaces: a sandbox whose only reachable address is its resolver, Airlock's gateway, and
/// an "internet" with an ordinary authoritative server (NSD, `example.test`), the tunnel servers
/// (iodined for `t1.tunnel.test`, dns2tcpd for `t2.tunnel2.test`) and dnsdist routing between them
/// the way the DNS hierarchy would. All addresses are in 198.18.0.0/15.
///
///     sandbox 198.18.1.2 ── 198.18.1.1 airlock (gateway) 198.18.0.1 ── 198.18.0.53 dnsdist ─┬ .55 NSD
///                                                                                          ├ .54 iodined
///                                                                                          └ .56 dns2tcpd
struct TunnelLab {
    static let tools = ["ip", "nsd", "dnsdist", "dig", "iodine", "iodined", "dns2tcpc", "dns2tcpd", "socat", "tcpdump"]
    static let resolver = "198.18.1.1"

    let lab: Lab
    let sandbox: String
    let gateway: String
    let internet: String
    var airlock: Process?

    init() throws {
        lab = try Lab()
        sandbox = try lab.namespace("sbx")
        gateway = try lab.namespace("gw")
        internet = try lab.namespace("net")
        try lab.link(sandbox, "198.18.1.2/24", gateway, "198.18.1.1/24", name: "s")
        try lab.link(gateway, "198.18.0.1/24", internet, "198.18.0.53/24", name: "n")
        try lab.sh(internet, "for a in 54 55 56; do ip addr add 198.18.0.$a/24 dev nb\(lab.tag); done")

        let zone = """
            $ORIGIN example.test.
            $TTL 300
            @ IN SOA ns1 hostmaster 1 3600 600 86400 60
            @ IN NS ns1
            ns1 IN A 93.184.216.34
            www IN A 93.184.216.34
            api IN A 93.184.216.35
            docs IN CNAME www

            """
        try lab.startNSD("198.18.0.55", zones: [("example.test", zone)], namespace: internet)
        // dnsdist: no security polling (it would ask the system resolver), servers forced up (no health checks).
        let dnsdist = try lab.write(
            "dnsdist.conf",
            """
            setSecurityPollSuffix("")
            setLocal("198.18.0.53:53")
            setACL({"198.18.0.0/15"})
            local nsd = newServer({address="198.18.0.55:53"})
            nsd:setUp()
            local iodine = newServer({address="198.18.0.54:53", pool="iodine"})
            iodine:setUp()
            local dns2tcp = newServer({address="198.18.0.56:53", pool="dns2tcp"})
            dns2tcp:setUp()
            addAction({"tunnel.test."}, PoolAction("iodine"))
            addAction({"tunnel2.test."}, PoolAction("dns2tcp"))

            """)
        try lab.start(
            "/usr/bin/dnsdist", ["--supervised", "--disable-syslog", "-C", dnsdist], namespace: internet, log: "dnsdist"
        )
        guard
            Lab.waitFor(
                10,
                {
                    (try? Lab.dig(["@198.18.0.53", "+short", "www.example.test"], namespace: self.gateway))?.stdout
                        .contains("93.184") == true
                })
        else { throw LabError.timeout("dnsdist/NSD in the internet namespace: \(lab.read("dnsdist.out"))") }
    }

    /// The policy the gateway enforces: ordinary defaults, every record type allowed so that the
    /// tunnels are stopped by detection (not by the type list), quarantine on.
    static let policy = """
        version: 1
        mode: enforce
        dns:
          default: allow
          allowed_types: all
          quarantine_seconds: 600
          upstreams: ["198.18.0.53"]
          timeout_ms: 1000
          attempts: 2

        """

    mutating func startAirlock(policy text: String = TunnelLab.policy) throws {
        let path = try lab.write("policy.yaml", text)
        airlock = try lab.startAirlock(policy: path, listen: ["\(Self.resolver):53"], namespace: gateway)
    }

    /// An ordinary lookup from the sandbox; true when it resolves.
    func ordinaryLookupWorks(_ name: String = "www.example.test", tcp: Bool = false) -> Bool {
        let r = try? Lab.dig(["@\(Self.resolver)", "+short", name] + (tcp ? ["+tcp"] : []), namespace: sandbox)
        return r?.stdout.contains("93.184.216.") == true
    }

    func startIodined() throws {
        try lab.start(
            "/usr/sbin/iodined",
            ["-f", "-c", "-l", "198.18.0.54", "-p", "53", "-P", "airlock-test", "198.18.20.1/24", "t1.tunnel.test"],
            namespace: internet, log: "iodined")
        guard
            Lab.waitFor(
                5,
                {
                    self.lab.read("iodined.err").contains("Listening")
                        || self.lab.read("iodined.out").contains("Listening")
                })
        else { throw LabError.timeout("iodined: \(lab.read("iodined.err"))") }
    }

    func startDns2tcpd() throws {
        let conf = try lab.write(
            "dns2tcpd.conf",
            """
            listen = 198.18.0.56
            port = 53
            user = root
            chroot = \(lab.dir.path)
            domain = t2.tunnel2.test
            resources = echo:127.0.0.1:7777

            """)
        try lab.start(
            "/usr/bin/socat", ["TCP-LISTEN:7777,bind=127.0.0.1,fork,reuseaddr", "EXEC:cat"], namespace: internet,
            log: "echo")
        try lab.start("/usr/bin/dns2tcpd", ["-F", "-d", "1", "-f", conf], namespace: internet, log: "dns2tcpd")
        guard
            Lab.waitFor(
                5,
                {
                    self.lab.read("dns2tcpd.out").contains("Listening")
                        || self.lab.read("dns2tcpd.err").contains("Listening")
                })
        else { throw LabError.timeout("dns2tcpd: \(lab.read("dns2tcpd.out"))") }
    }

    /// What the decision log says about one registered domain's queries.
    struct TunnelFigures: CustomStringConvertible {
        var queries = 0
        var allowedBeforeBlock = 0
        var nameBytesBeforeBlock = 0
        var allowedAfterBlock = 0
        var firstBlockRule: String?
        var evidence: [String] = []

        var description: String {
            "\(queries) queries; blocked from query \(allowedBeforeBlock + 1) (\(firstBlockRule ?? "never")); "
                + "\(allowedBeforeBlock) queries / \(nameBytesBeforeBlock) name bytes forwarded before; "
                + "\(allowedAfterBlock) forwarded after; evidence \(evidence.joined(separator: ", "))"
        }
    }

    func figures(domain: String) -> TunnelFigures {
        var f = TunnelFigures()
        var blocked = false
        for record in lab.decisions()
        where record["domain"] as? String == domain && record["stage"] as? String == "query" {
            f.queries += 1
            let allowed = record["action"] as? String == "allow"
            if !blocked && !allowed {
                blocked = true
                f.firstBlockRule = record["rule"] as? String
                if let verdict = record["verdict"] as? [String: Any],
                    let evidence = verdict["evidence"] as? [[String: Any]]
                {
                    f.evidence = evidence.compactMap { $0["feature"] as? String }
                }
            }
            if allowed && !blocked {
                f.allowedBeforeBlock += 1
                f.nameBytesBeforeBlock += (record["name"] as? String)?.utf8.count ?? 0
            } else if allowed {
                f.allowedAfterBlock += 1
            }
        }
        return f
    }
}
