import AirlockAlerts
import AirlockDNSLog
import AirlockEnforcement
import AirlockEngine
import AirlockPolicy
import AirlockReplay
import AirlockSystem
import Foundation

/// `airlock watch`: passive monitoring. The packets of a live interface go through the same decoder,
/// pipeline and engine as `replay` (the reader thread reads libpcap instead of a file), and decisions
/// are printed, logged and alerted as they happen, with the same records and alert sinks as `serve`.
enum WatchCommand {
    static let usage = """
        usage: airlock watch -i IFACE [options]
               airlock watch --dnstap unix:/path/to/socket|FILE [options]

        Watches DNS without being in the path and reports verdicts as they happen: on a network
        interface (a SPAN port, a host where an inline proxy is not allowed yet; needs CAP_NET_RAW),
        or from a resolver's dnstap (Unbound, Knot Resolver, dnsdist, CoreDNS, BIND): `unix:PATH`
        listens on a socket the resolver connects to, anything else reads a dnstap file. Client
        queries and responses are scored; the resolver's own iterative queries are not.
        SIGINT/SIGTERM stop it and print the totals.

          -i, --interface IFACE  the interface to capture on (libpcap)
          --dnstap unix:PATH|FILE  dnstap input instead of an interface
          --filter BPF       libpcap filter (e.g. 'port 53'); default: every packet (bypass detection
                             looks at TLS and QUIC too)
          --promiscuous      put the interface in promiscuous mode
          --jsonl            one JSON record per decision (every query; alerts marked) instead of the table
          --dns-log FILE     a Zeek-style dns.log as transactions complete ('-' for standard output)
          --alerts FILE      alert sinks from the `alerts:` section of FILE, as `serve --alerts`
          --policy FILE      what `serve --policy FILE` would block (reported, never enforced: watch is
                             not in the path)
          --set KEY=VALUE    override a detection threshold
        """

    static func run(_ args: [String]) throws -> Int32 {
        let parsed = try Arguments(
            args,
            valued: ["-i", "--interface", "--dnstap", "--filter", "--dns-log", "--alerts", "--policy", "--set"],
            switches: ["--jsonl", "--promiscuous", "--help", "-h"])
        if parsed.has("--help") || parsed.has("-h") {
            OutputStream.standardOutput.line(usage)
            return 0
        }
        let interface = parsed.value("-i") ?? parsed.value("--interface")
        let dnstap = parsed.value("--dnstap")
        guard (interface == nil) != (dnstap == nil) else {
            throw UsageError.missingArgument("one input: -i IFACE or --dnstap unix:PATH|FILE")
        }
        let err = OutputStream.standardError
        let stop = StopSignal()
        var options = ReplayOptions(files: [], filter: parsed.value("--filter"))
        if dnstap != nil && (parsed.value("--filter") != nil || parsed.has("--promiscuous")) {
            throw UsageError.invalidValue(
                option: "--dnstap", value: dnstap!, expected: "no --filter or --promiscuous (they are for -i)")
        }
        let source: LiveInput.Source =
            interface.map { .interface($0, promiscuous: parsed.has("--promiscuous")) } ?? .dnstap(dnstap!)
        options.live = LiveInput(source, stop: stop)
        let inputName = interface ?? dnstap!
        guard try options.applyPolicyAndSettings(parsed, command: "watch") else { return 1 }
        let jsonl = parsed.has("--jsonl")
        let dnsLogPath = parsed.value("--dns-log")
        if dnsLogPath == "-" && jsonl {
            throw UsageError.invalidValue(option: "--dns-log", value: "-", expected: "a file when --jsonl writes to standard output")
        }
        let dnsLog = try dnsLogPath.map { path throws(UsageError) in BufferedOutput(try OutputFile.open(path, option: "--dns-log")) }
        options.dnsLog = dnsLog != nil
        options.recordEveryDecision = jsonl || parsed.value("--alerts") != nil

        var alerts: ReplayAlerts?
        if let path = parsed.value("--alerts") {
            do {
                let pipeline = try AlertPipeline(configuration: try AlertingConfiguration.load(path: path), liveClock: true)
                alerts = ReplayAlerts(pipeline: pipeline, path: path)
                err.line("airlock watch: alerts to \(pipeline.sinkNames.joined(separator: ", "))")
            } catch {
                err.line("airlock watch: --alerts \(path): \(error)")
                return 1
            }
        }

        // Signals are taken by one thread: block them before the reader thread starts.
        ProxySignals.block()
        let signals = Thread {
            while true {
                if case .stop = ProxySignals.next() {
                    stop.set()
                    return
                }
            }
        }
        signals.start()

        let out = BufferedOutput(.standardOutput)
        let table = !jsonl && dnsLogPath != "-"
        if table {
            out.line(TableFormat.header)
            out.flush()
        }
        let watching =
            "airlock watch: watching \(inputName)" + (options.filter.map { " (filter '\($0)')" } ?? "")
            + (options.policy.map { "; policy \($0.file) sha256:\($0.version)" } ?? "")
        let summary = Replayer(options: options).run(
            onRecord: { record in
                alerts?.take(record)
                if jsonl {
                    if let line = RecordFormat.json(record) { out.line(line) }
                } else if table, let line = TableFormat.row(record) {
                    out.line(line)
                }
                out.flush()
            },
            onProgress: { progress in
                // The reader's first report: the input is open.
                if progress.packets == 0 { err.line(watching) }
            },
            onDNSLog: { record in
                dnsLog?.line(ZeekDNSFormat.line(record))
                dnsLog?.flush()
            })
        alerts?.finish()
        if let dnsLog { OutputFile.close(dnsLog.stream) }
        if table {
            for line in TableFormat.footer(summary) { out.line(line) }
            out.flush()
        }
        for failure in summary.failures {
            err.line("airlock watch: \(inputName): \(failure.message)")
        }
        for t in summary.truncations { err.line("airlock watch: \(inputName): input ended: \(t.reason)") }
        err.line(
            "airlock watch: stopped; \(summary.packets) packets, \(summary.queries) queries, "
                + "\(summary.flagged.count) flagged, \(summary.bypasses.count) resolver bypass(es)"
                + (summary.malformedByReason["kernel_dropped"].map { ", \($0) dropped by the kernel" } ?? ""))
        return summary.failures.isEmpty && summary.truncations.isEmpty ? 0 : 1
    }
}
