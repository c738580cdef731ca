import AirlockEngine
import AirlockEnforcement
import AirlockPolicy
import AirlockReplay
import AirlockReport

/// `airlock report`: one self-contained HTML page about what a capture holds, for an analyst.
enum ReportCommand {
    static let usage = """
        usage: airlock report [options] FILE.pcap[ng][.gz]... -o REPORT.html

        Replays the captures through the engine (as `airlock replay` does) and writes one HTML file
        with no external resources: the headline (what was flagged, when, from which client, why),
        per flagged domain or campaign a timeline of its queries, the features against thresholds and
        the names that convicted it, clients by information sent, resolver bypasses and totals.

          -o, --output FILE  where to write the page ('-' for standard output); required
          --policy FILE      apply a policy as `serve` would: when it would have blocked, what left before
          --filter BPF       libpcap filter applied before decoding
          --continuous       one engine across all files, in order
          --set KEY=VALUE    override a detection threshold
          --no-exemptions    score reverse zones, DNSBLs and AV lookups like any other domain
        """

    static func run(_ args: [String]) throws -> Int32 {
        let parsed = try Arguments(
            args, valued: ["--output", "-o", "--policy", "--filter", "--set"],
            switches: ["--continuous", "--no-exemptions", "--help", "-h"])
        if parsed.has("--help") || parsed.has("-h") {
            OutputStream.standardOutput.line(usage)
            return 0
        }
        guard !parsed.positionals.isEmpty else { throw UsageError.missingArgument("capture FILE") }
        guard let path = parsed.value("--output") ?? parsed.value("-o") else {
            throw UsageError.missingArgument("-o REPORT.html")
        }
        var options = ReplayOptions(files: parsed.positionals, filter: parsed.value("--filter"))
        options.continuous = parsed.has("--continuous")
        if parsed.has("--no-exemptions") { options.exemptions = .none }
        guard try options.applyPolicyAndSettings(parsed, command: "report") else { return 1 }
        if parsed.positionals.contains("-") {
            throw UsageError.invalidValue(option: "FILE", value: "-", expected: "capture files (the report reads them twice)")
        }
        let output = try OutputFile.open(path, option: "--output")
        let err = OutputStream.standardError
        let progressLine = err.isTerminal ? ProgressLine(err) : nil
        let model = ReportBuilder.build(options: options) { pass, progress in
            progressLine?.update(progress, prefix: "pass \(pass) of 2: ")
        }
        progressLine?.clear()
        output.write(HTMLReport.render(model))
        OutputFile.close(output)
        for failure in model.summary.failures { err.line("airlock report: \(failure.message)") }
        if path != "-" {
            err.line(
                "airlock report: \(path): \(model.summary.flagged.count) flagged domain(s), "
                    + "\(model.summary.queries) queries, \(model.summary.bypasses.count) resolver bypass(es)")
        }
        return model.summary.failures.isEmpty ? 0 : 1
    }
}
