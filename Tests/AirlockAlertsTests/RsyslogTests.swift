import AirlockEnforcement
import AirlockEngine
import AirlockEvents
import AirlockTestSupport
import Foundation
import Testing

@testable import AirlockAlerts

/// Debian's rsyslogd, run with a private configuration on loopback high ports, receives the alert
/// sinks' RFC 5424 messages over UDP and over TCP (octet-counted) and parses them: the template
/// prints MSGID and the structured-data parameters as rsyslog's mmpstrucdata parsed them.
private enum Rsyslog {
    static let daemon = ["/usr/sbin/rsyslogd", "/sbin/rsyslogd"].first { FileManager.default.isExecutableFile(atPath: $0) }
    static var available: Bool {
        daemon != nil
            && (FileManager.default.fileExists(atPath: "/usr/lib/x86_64-linux-gnu/rsyslog/mmpstrucdata.so")
                || FileManager.default.fileExists(atPath: "/usr/lib/rsyslog/mmpstrucdata.so"))
    }
}

@Suite(.serialized, .enabled(if: Rsyslog.available, "needs rsyslogd with mmpstrucdata"))
struct RsyslogTests {
    @Test func rsyslogParsesStructuredDataOverUDPAndTCP() throws {
        let rsyslogd = try #require(Rsyslog.daemon)
        let dir = Samples.temporaryDirectory("rsyslog")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let udpPort = Samples.freePort(), tcpPort = Samples.freePort()
        let sd = "$!rfc5424-sd!airlock@32473!"
        let fields = ["id", "kind", "phase", "count", "action", "rule", "verdict", "domain", "sandbox", "policy"]
        let template = "%inputname%|%msgid%|%app-name%|%procid%|"
            + fields.map { "%\(sd)\($0)%" }.joined(separator: "|") + "|%msg%\\n"
        let conf = """
            global(workDirectory="\(dir)")
            module(load="imudp")
            module(load="imtcp")
            module(load="mmpstrucdata")
            input(type="imudp" address="127.0.0.1" port="\(udpPort)")
            input(type="imtcp" address="127.0.0.1" port="\(tcpPort)")
            template(name="parsed" type="string" string="\(template)")
            action(type="mmpstrucdata")
            action(type="omfile" file="\(dir)/received.log" template="parsed")

            """
        try conf.write(toFile: dir + "/rsyslog.conf", atomically: true, encoding: .utf8)
        let daemon = try TestProcess(rsyslogd, ["-n", "-f", dir + "/rsyslog.conf", "-i", dir + "/rsyslogd.pid"])
        defer { daemon.kill() }
        try #require(TestProcess.waitForPort(tcpPort), "rsyslogd did not start")

        var config = AlertingConfiguration()
        var udp = AlertingConfiguration.SyslogSink(transport: .udp, host: "127.0.0.1", port: udpPort)
        udp.message = .text
        var tcp = AlertingConfiguration.SyslogSink(
            transport: .tcp, host: "127.0.0.1", port: tcpPort, spoolDirectory: dir + "/spool")
        tcp.message = .json
        config.syslog = [udp, tcp]
        let pipeline = try AlertPipeline(configuration: config)
        var decisions = Samples.tunnelStream(count: 300)
        // A policy denial whose rule id holds `]` and whose message holds quotes: escaping must hold.
        decisions.append(
            DecisionEventBuilder(policyVersion: "feed").policyDecision(
                time: Timestamp(seconds: 1_700_000_010), source: .dns, sandbox: SandboxID("agent-1"), client: Samples.client,
                request: .dns(name: "db.internal.corp", qtype: 1, transport: .udp), rule: "dns.deny[3]",
                message: #"name "db.internal.corp" is internal \ private"#, denied: true, crossBoundary: true))
        var expected: [Alert] = []
        var aggregator = AlertAggregator(windowSeconds: config.windowSeconds)
        for d in decisions {
            pipeline.submit(d)
            expected += aggregator.add(d)
        }
        expected += aggregator.flush()
        pipeline.finish()

        let path = dir + "/received.log"
        var lines: [Substring] = []
        eventually(seconds: 10) {
            lines = ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").split(separator: "\n")
            return lines.count >= expected.count * 2
        }
        print("rsyslog: \(expected.count) alerts sent over UDP and TCP, \(lines.count) messages parsed by rsyslogd")
        #expect(lines.count == expected.count * 2)
        for alert in expected {
            for input in ["imudp", "imtcp"] {
                guard let line = lines.first(where: { $0.hasPrefix("\(input)|") && $0.contains("|\(alert.id)|") }) else {
                    Issue.record("\(input) did not parse alert \(alert.id)")
                    continue
                }
                let parts = line.split(separator: "|", maxSplits: 4 + fields.count, omittingEmptySubsequences: false)
                    .map(String.init)
                #expect(parts[1] == alert.kind.rawValue, "MSGID")
                #expect(parts[2] == "airlock")
                let values = Dictionary(uniqueKeysWithValues: zip(fields, parts[4..<(4 + fields.count)]))
                #expect(values["id"] == alert.id)
                #expect(values["kind"] == alert.kind.rawValue)
                #expect(values["phase"] == alert.phase.rawValue)
                #expect(values["count"] == String(alert.count))
                #expect(values["action"] == alert.decision.action.rawValue)
                #expect(values["rule"] == alert.decision.rule)
                #expect(values["domain"] == alert.decision.domain)
                #expect(values["sandbox"] == "agent-1")
                #expect(values["verdict"] == (alert.decision.verdict?.kind.rawValue ?? ""))
                #expect(values["policy"] == alert.decision.policyVersion)
                let msg = parts[4 + fields.count]
                if input == "imtcp" {
                    #expect(Samples.parse(msg)["class_uid"] != nil, "TCP MSG is the OCSF record")
                } else {
                    #expect(msg.contains(alert.kind.title))
                }
            }
        }
    }
}
