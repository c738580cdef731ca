import AirlockEngine
import AirlockEvents
import AirlockSystem
import AirlockTestSupport
import Foundation
import Testing

@testable import AirlockAlerts

@Suite struct PipelineTests {
    @Test func fileSinkWritesJSONLinesAndRotatesBySize() throws {
        let dir = Samples.temporaryDirectory("file")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var config = AlertingConfiguration()
        config.windowSeconds = 0.05  // many windows: many records
        var file = AlertingConfiguration.FileSink(path: dir + "/alerts.jsonl")
        file.maxBytes = 16_384
        file.keep = 2
        config.file = file
        let pipeline = try AlertPipeline(configuration: config)
        for d in Samples.tunnelStream(count: 2_000) { pipeline.submit(d) }
        pipeline.finish()
        let raised = pipeline.raised
        let names = try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
        #expect(names == ["alerts.jsonl", "alerts.jsonl.1", "alerts.jsonl.2"])
        var lines = 0
        for name in names {
            let size = (try FileManager.default.attributesOfItem(atPath: dir + "/" + name)[.size] as? Int) ?? 0
            #expect(size <= 16_384)
            let text = try String(contentsOfFile: dir + "/" + name, encoding: .utf8)
            for line in text.split(separator: "\n") {
                #expect(OCSFSchema.missing(Samples.parse(String(line))) == [])
                lines += 1
            }
        }
        // Older rotations beyond `keep` are dropped, so the files hold the newest records only.
        #expect(lines > 0 && lines < raised)
        #expect(pipeline.metrics.sinkDelivered.value("file") == raised)
    }

    @Test func metricsEndpointServesPrometheusText() throws {
        var config = AlertingConfiguration()
        config.metrics = .init(host: "127.0.0.1", port: 0)
        let pipeline = try AlertPipeline(configuration: config)
        defer { pipeline.finish() }
        let m = pipeline.metrics
        m.queries.increment(by: 3)
        m.upstreamLatency.observe(seconds: 0.004)
        m.upstreamLatency.observe(seconds: 0.3)
        m.malformed.increment("dns_truncated_header")
        for d in Samples.tunnelStream(count: 100) { pipeline.submit(d) }
        let port = try #require(pipeline.metricsServer?.port)
        func get(_ path: String) throws -> String {
            let c = try TCPConnection.connect(host: "127.0.0.1", port: port, timeoutMilliseconds: 1000)
            defer { c.close() }
            try c.send(Array("GET \(path) HTTP/1.1\r\nHost: x\r\n\r\n".utf8), timeoutMilliseconds: 1000)
            var bytes: [UInt8] = []
            while true {
                let chunk = try c.receive(timeoutMilliseconds: 2000)
                if chunk.isEmpty { break }
                bytes += chunk
            }
            return String(decoding: bytes, as: UTF8.self)
        }
        let response = try get("/metrics")
        #expect(response.hasPrefix("HTTP/1.1 200 OK\r\n"))
        #expect(response.contains("Content-Type: text/plain; version=0.0.4"))
        #expect(response.contains("airlock_dns_queries_total 3\n"))
        #expect(response.contains("airlock_alerts_total{kind=\"dns-tunnel\"} 1\n"))
        #expect(response.contains("airlock_decisions_total{action=\"quarantine\"} "))
        #expect(response.contains("airlock_upstream_latency_seconds_bucket{le=\"0.005\"} 1\n"))
        #expect(response.contains("airlock_upstream_latency_seconds_bucket{le=\"+Inf\"} 2\n"))
        #expect(response.contains("airlock_upstream_latency_seconds_count 2\n"))
        #expect(response.contains("airlock_malformed_total{reason=\"dns_truncated_header\"} 1\n"))
        #expect(try get("/").hasPrefix("HTTP/1.1 404"))
    }

    @Test func deadWebhookNeverSlowsTheCaller() throws {
        let dir = Samples.temporaryDirectory("dead")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var config = AlertingConfiguration()
        config.windowSeconds = 0.001  // an alert for nearly every decision: the worst case for the caller
        config.shutdownDrainSeconds = 0
        // Port 9 on loopback (discard): nothing listens, every delivery attempt fails.
        config.webhook = .init(url: "http://127.0.0.1:9/alerts", spoolDirectory: dir + "/spool")
        let pipeline = try AlertPipeline(configuration: config)
        let decisions = Samples.tunnelStream(count: 5_000, interval: 0.002)
        let clock = ContinuousClock()
        let elapsed = clock.measure { for d in decisions { pipeline.submit(d) } }
        #expect(eventually(seconds: 10) { pipeline.queued == 0 })
        pipeline.finish()
        let perDecision = elapsed / decisions.count
        print("dead webhook: \(decisions.count) decisions, \(pipeline.raised) alerts submitted in \(elapsed) (\(perDecision) each)")
        #expect(perDecision < .milliseconds(1))
        #expect(pipeline.metrics.sinkFailures.value("webhook") > 0)
        #expect(try Spool(directory: dir + "/spool").depth == pipeline.raised)
    }
}
