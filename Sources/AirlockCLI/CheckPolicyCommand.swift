import AirlockAlerts
import AirlockDNSProxy
import AirlockEnforcement
import AirlockPolicy
import Foundation

/// `airlock check-policy FILE`: validate a policy and summarise it, or list every error as FILE:LINE:COL.
enum CheckPolicyCommand {
    static let usage = """
        usage: airlock check-policy [--alerts FILE] FILE

        Validates a policy file without running anything. Prints a summary of what it enforces, or every
        error as FILE:LINE:COL: message, and warnings (an HTTP allow rule the same sandbox's DNS policy
        makes useless, shadowed and duplicate rules). The alerting configuration is checked too: the
        `alerts:` section of FILE when it has one (one file may hold both, and is then given to
        `airlock serve` as --policy FILE --alerts FILE), or of --alerts FILE. Exit status 0 when valid,
        1 when not.

          --alerts FILE      also validate this file's `alerts:` section (what serve --alerts reads)
        """

    static func run(_ args: [String]) throws -> Int32 {
        let parsed = try Arguments(args, valued: ["--alerts"], switches: ["--help", "-h"])
        if parsed.has("--help") || parsed.has("-h") {
            OutputStream.standardOutput.line(usage)
            return 0
        }
        guard parsed.positionals.count == 1, let path = parsed.positionals.first else {
            throw UsageError.missingArgument("FILE (exactly one policy file)")
        }
        let (ok, output) = PolicyChecker.check(path: path, knownDetectionKeys: PolicySnapshot.knownDetectionKeys)
        (ok ? OutputStream.standardOutput : OutputStream.standardError).write(output)
        var alertsOK = true
        if let alerts = parsed.value("--alerts") ?? (Self.hasAlertsSection(path) ? path : nil) {
            do {
                let configuration = try AlertingConfiguration.load(path: alerts)
                OutputStream.standardOutput.line("\(alerts): alerts: OK, \(Self.describe(configuration))")
            } catch {
                alertsOK = false
                OutputStream.standardError.line("\(error)")
                OutputStream.standardError.line("\(alerts): the alerts: section has errors")
            }
        }
        return ok && alertsOK ? 0 : 1
    }

    /// Whether the file's top level has an `alerts:` key (unreadable or broken files: no).
    static func hasAlertsSection(_ path: String) -> Bool {
        guard let data = FileManager.default.contents(atPath: path),
            let yaml = try? YAMLLoader.load(bytes: Array(data), file: path), case .mapping(let entries) = yaml.content
        else { return false }
        return entries.contains { $0.key == "alerts" }
    }

    static func describe(_ c: AlertingConfiguration) -> String {
        var sinks: [String] = []
        if let file = c.file { sinks.append("file \(file.path)") }
        if c.stdout != nil { sinks.append("stdout") }
        sinks += c.syslog.map { "syslog \($0.transport.rawValue) \($0.host):\($0.port)" }
        if let webhook = c.webhook { sinks.append("webhook \(webhook.url)") }
        if let metrics = c.metrics { sinks.append("metrics \(metrics.host):\(metrics.port)") }
        return "format \(c.format.rawValue), window \(Int(c.windowSeconds)) s; "
            + (sinks.isEmpty ? "no sinks" : sinks.joined(separator: ", "))
    }
}
