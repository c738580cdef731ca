import AirlockPolicy
import AirlockSystem
import Foundation
import Testing

@testable import AirlockAlerts

@Suite struct ConfigurationTests {
    /// The `alerts:` section of `yaml`, read as `airlock serve --alerts serve.yaml` reads it.
    func decode(_ yaml: String) throws -> AlertingConfiguration {
        let root = try YAMLLoader.load(bytes: Array(yaml.utf8), file: "serve.yaml")
        guard case .mapping(let entries) = root.content, let section = entries.first(where: { $0.key == "alerts" }) else {
            throw AlertingConfigurationErrors()
        }
        return try AlertingConfiguration.decode(section.value)
    }

    @Test func aFullSectionDecodes() throws {
        let c = try decode(
            """
            alerts:
              format: eve
              window_seconds: 30
              file: {path: /var/log/airlock/alerts.jsonl, max_bytes: 1048576, keep: 3}
              stdout: true
              syslog:
                - {transport: udp, host: 127.0.0.1, port: 5514}
                - {transport: tcp, host: 127.0.0.1, port: 6514, spool: /tmp/s1, message: text, facility: 10}
              webhook:
                url: https://127.0.0.1:8443/alerts
                spool: /tmp/w1
                batch_size: 50
                ca_file: /etc/airlock/siem-ca.pem
                headers: {Authorization: Bearer x}
              metrics: {listen: "127.0.0.1:9464"}
            """)
        #expect(c.format == .eve)
        #expect(c.windowSeconds == 30)
        #expect(c.file?.keep == 3)
        #expect(c.stdout != nil)
        #expect(c.syslog.count == 2)
        #expect(c.syslog[1].message == .text)
        #expect(c.webhook?.batchSize == 50)
        #expect(c.webhook?.caFile == "/etc/airlock/siem-ca.pem")
        #expect(c.webhook?.headers["Authorization"] == "Bearer x")
        #expect(c.metrics == .init(host: "127.0.0.1", port: 9464))
    }

    @Test func garbageIsReportedAllAtOnceWithTheSettingAndLine() {
        do {
            _ = try decode(
                """
                alerts:
                  formt: ocsf
                  window_seconds: -3
                  syslog: {transport: tcp, host: 127.0.0.1, port: 99999}
                  webhook: {url: "ftp://x", spool: /tmp/w}
                  metrics: nonsense
                  stdout: yes
                  file: {keep: 3}
                """)
            Issue.record("garbage accepted")
        } catch let error as AlertingConfigurationErrors {
            let text = error.description
            #expect(text.contains("serve.yaml:2:3: unknown key 'formt' in alerts (did you mean 'format'?)"), "\(text)")
            #expect(text.contains("alerts.syslog.port is 99999; it must be 1-65535"), "\(text)")
            #expect(text.contains("alerts.metrics.listen is 'nonsense'; it must be HOST:PORT"), "\(text)")
            #expect(text.contains("alerts.stdout must be true or false, found a string ('yes')"), "\(text)")
            #expect(text.contains("missing required key 'path' in alerts.file"), "\(text)")
            #expect(error.diagnostics.count == 5, "\(text)")
        } catch {
            Issue.record("\(error)")
        }
    }

    @Test func semanticProblemsAreCaughtBeforeStart() {
        var c = AlertingConfiguration()
        c.windowSeconds = 0
        c.syslog = [
            .init(transport: .tcp, host: "127.0.0.1", port: 6514),
            .init(transport: .udp, host: "127.0.0.1", port: 5514, spoolDirectory: "/tmp/x"),
        ]
        c.webhook = .init(url: "http://siem.example/hook", spoolDirectory: "/tmp/x")
        c.webhook?.caFile = "/etc/airlock/siem-ca.pem"  // a CA file for plain http is a mistake
        c.webhook?.headers = ["Bad Header": "v"]
        let settings = c.problems().map(\.setting)
        #expect(settings.contains("alerts.window_seconds"))
        #expect(settings.contains("alerts.syslog[0].spool"))
        #expect(settings.contains("alerts.syslog[1].spool"))
        #expect(settings.contains("alerts.webhook.ca_file"))
        #expect(settings.contains("alerts.webhook.headers"))
        #expect(settings.contains("alerts.webhook.spool"))  // shared with syslog[1]
        #expect(c.problems().first { $0.setting == "alerts.webhook.ca_file" }!.message.contains("applies to https:// URLs only"))
    }

    @Test func pipelineRefusesToStartOnBadSinks() throws {
        let dir = Samples.temporaryDirectory("cfg")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        func startError(_ configure: (inout AlertingConfiguration) -> Void) -> String? {
            var c = AlertingConfiguration()
            configure(&c)
            do {
                let p = try AlertPipeline(configuration: c)
                p.finish()
                return nil
            } catch {
                return error.description
            }
        }
        let missingDir = startError { $0.file = .init(path: "/nonexistent-airlock/dir/alerts.jsonl") }
        #expect(missingDir?.hasPrefix("alerts.file.path: open /nonexistent-airlock/dir/alerts.jsonl") == true, "\(missingDir ?? "")")
        // An invalid host name is refused before any resolver is asked (no DNS traffic from tests).
        let badHost = startError { $0.syslog = [.init(transport: .udp, host: "no such host", port: 514)] }
        #expect(badHost?.contains("alerts.syslog[0].host: 'no such host' is not an IP address or host name") == true, "\(badHost ?? "")")
        #expect(throws: SystemError.self) { try POSIX.resolve(host: "bad host!", port: 1, type: TCPConnection.streamType) }
        let badSpool = startError { $0.webhook = .init(url: "http://127.0.0.1:9/x", spoolDirectory: "/proc/airlock-spool") }
        #expect(badSpool?.hasPrefix("alerts.webhook.spool: spool directory /proc/airlock-spool") == true, "\(badSpool ?? "")")
        let listener = try TCPListener(host: "127.0.0.1", port: 0)
        defer { listener.close() }
        let portTaken = startError { $0.metrics = .init(host: "127.0.0.1", port: listener.port) }
        #expect(portTaken?.hasPrefix("alerts.metrics.listen: bind 127.0.0.1:\(listener.port)") == true, "\(portTaken ?? "")")
        let invalid = startError { $0.windowSeconds = .nan }
        #expect(invalid?.hasPrefix("invalid alerts configuration") == true)
        #expect(startError { $0.file = .init(path: dir + "/ok.jsonl") } == nil)
    }

    @Test func webhookURLs() throws {
        #expect(try WebhookURL.parse("http://127.0.0.1:8080/a/b?x=1").get() == WebhookURL(scheme: "http", host: "127.0.0.1", port: 8080, path: "/a/b?x=1"))
        #expect(try WebhookURL.parse("http://[::1]/").get().host == "::1")
        #expect(try WebhookURL.parse("HTTP://siem.local").get().port == 80)
        #expect(try WebhookURL.parse("https://siem.local/hook").get() == WebhookURL(scheme: "https", host: "siem.local", port: 443, path: "/hook"))
        #expect(try WebhookURL.parse("https://[::1]:8443").get().isHTTPS)
        #expect(throws: WebhookURLError.self) { try WebhookURL.parse("http://h:0/").get() }
        #expect(throws: WebhookURLError.self) { try WebhookURL.parse("http://user@h/").get() }
        #expect(throws: WebhookURLError.self) { try WebhookURL.parse("gopher://h/").get() }
    }
}
