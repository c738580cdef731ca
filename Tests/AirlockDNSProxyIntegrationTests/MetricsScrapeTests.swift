import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `airlock serve` with the HTTP proxy and metrics, as an operator scrapes it: HTTP decisions, a
/// refused and an accepted policy reload, build and policy info, process figures, spool depth per
/// sink; the whole exposition accepted by `promtool check metrics` (Debian `prometheus`).
extension DNSProxyIntegration {
    @Suite(
        .serialized,
        .enabled(if: Lab.enabled(["curl", "promtool"], root: false), "needs curl and promtool (Debian prometheus)"))
    struct MetricsScrapeTests {
        @Test func anOperatorScrapesEveryMetricAndPromtoolAcceptsThem() throws {
            let lab = try Lab()
            let dnsPort = Lab.freePort()
            let httpPort = Lab.freePort()
            let metricsPort = Lab.freePort()
            let good = "version: 1\nmode: enforce\ndns:\n  default: allow\n  upstreams: [\"127.0.0.1:9\"]\n"
            let policy = try lab.write("policy.yaml", good)
            // Port 9 on loopback: nothing listens, so every webhook delivery fails and stays spooled.
            let alerts = try lab.write(
                "alerts.yaml",
                """
                alerts:
                  window_seconds: 60
                  shutdown_drain_seconds: 0
                  webhook: {url: "http://127.0.0.1:9/alerts", spool: "\(lab.path("spool"))", backoff_initial_seconds: 5}
                  metrics: {listen: "127.0.0.1:\(metricsPort)"}
                """)
            let airlock = try lab.startAirlock(
                policy: policy, listen: ["127.0.0.1:\(dnsPort)"],
                extra: ["--alerts", alerts, "--http-listen", "127.0.0.1:\(httpPort)"])
            let proxy = ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "5", "-x", "http://127.0.0.1:\(httpPort)"]
            // Refused before any connection is made: a loopback destination and the metadata address.
            let loopback = try Lab.run("/usr/bin/curl", proxy + ["http://127.0.0.1:9/x"], timeout: 10)
            #expect(loopback.stdout == "403")
            let metadata = try Lab.run("/usr/bin/curl", proxy + ["http://169.254.169.254/latest/meta-data/"], timeout: 10)
            #expect(metadata.stdout == "403")

            // A broken policy is refused, then a good one accepted.
            _ = try lab.write("policy.yaml", "version: 1\ndns:\n  default: sideways\n")
            kill(airlock.processIdentifier, SIGHUP)
            #expect(Lab.waitFor(5) { lab.read("airlock.err").contains("refused, still running") })
            _ = try lab.write("policy.yaml", good + "# edited\n")
            kill(airlock.processIdentifier, SIGHUP)
            #expect(Lab.waitFor(5) { lab.read("airlock.err").contains("reloaded, now sha256:") })

            var text = ""
            #expect(
                Lab.waitFor(10) {
                    text = (try? Lab.run("/usr/bin/curl", ["-s", "http://127.0.0.1:\(metricsPort)/metrics"], timeout: 5))?.stdout ?? ""
                    return text.contains("airlock_spool_depth{sink=\"webhook\"} 2")
                }, "\(text)")
            for expected in [
                "airlock_http_decisions_total{stage=\"request\",action=\"block\"} 2",
                "airlock_policy_reload_failures_total 1", "airlock_policy_reloads_total 1",
                "airlock_policy_info{version=\"sha256:", "airlock_build_info{version=\"", "process_resident_memory_bytes ",
                "process_open_fds ", "process_cpu_seconds_total ", "airlock_http_exchange_duration_seconds_count ",
                "airlock_http_bytes_total{direction=\"up\"} ", "airlock_alerts_total{kind=\"metadata-access\"} 1", "airlock_alerts_total{kind=\"policy-denial\"} 1",
            ] {
                #expect(text.contains(expected), "\(expected)")
            }
            // Every metric the shipped Grafana dashboard queries is one this server exposes.
            let dashboard = try String(contentsOf: Lab.root.appendingPathComponent("Deploy/grafana-airlock.json"), encoding: .utf8)
            _ = try JSONSerialization.jsonObject(with: Data(dashboard.utf8))
            let names = Set(
                dashboard.matches(of: /(airlock|process)_[a-z_]+/).map { m in
                    String(m.output.0).replacing(/_(bucket|sum|count)$/, with: "")
                })
            #expect(names.count >= 15)
            for name in names.sorted() { #expect(text.contains("# TYPE \(name) "), "dashboard metric \(name)") }
            let check = try Lab.run("/bin/sh", ["-c", "curl -s http://127.0.0.1:\(metricsPort)/metrics | promtool check metrics"], timeout: 20)
            #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
            #expect(check.stdout.isEmpty && check.stderr.isEmpty, "promtool's lint findings: \(check.stdout)\(check.stderr)")

            // Stopping with alerts still undelivered says how many wait in the spool.
            kill(airlock.processIdentifier, SIGTERM)
            #expect(Lab.waitFor(10) { !airlock.isRunning })
            #expect(lab.read("airlock.err").contains("2 alert record(s) stay in the spool, undelivered (webhook 2)"), "\(lab.read("airlock.err"))")
        }
    }
}
