import AirlockCapture
import AirlockAlerts
import AirlockDNSLog
import AirlockDNSProxy
import AirlockEnforcement
import AirlockEngine
import AirlockEvents
import AirlockPolicy
import AirlockReplay
import Foundation

/// `airlock replay`: the detection engine over capture files.
enum ReplayCommand {
    static let usage = """
        usage: airlock replay [options] FILE.pcap[ng][.gz]...

        Replays captures through the same engine the live proxies use and reports verdicts. Files may
        be gzip-compressed; '-' reads a capture (compressed or not) from standard input. On a terminal,
        standard error shows the percent of each file read and an ETA.

          --summary          print one JSON object with totals, flagged domains and bypasses
          --jsonl            print one JSON record per decision (every query; alerts marked)
          --filter BPF       libpcap filter applied before decoding (e.g. 'port 53')
          --parser fast|ldns DNS parser: the zero-copy Swift reader (default) or libldns, the reference codec
          --continuous       one engine across all files, in order (a rotated capture of one session)
          --set KEY=VALUE    override a detection threshold (see DetectionConfiguration.tunableKeys)
          --no-exemptions    score reverse zones, DNSBLs and AV lookups like any other domain
          --local-zone NAME  a search suffix of the capture's resolvers (corp.example.com): never
                             convicted, as cluster.local and .internal are not (repeatable)
          --alerts FILE      write the alert records live operation would send (JSON lines, aggregated
                             per sandbox, domain and kind; the same records and ids for the same traffic)
          --alerts-format F  ocsf (default) or eve
          --dns-log FILE     write a Zeek-style dns.log (JSON lines, Zeek's field names, query and
                             response joined, plus airlock.* verdict fields); '-' for standard output
          --policy FILE      dry run of a policy: what `airlock serve --policy FILE` would have blocked
                             and why (its detection: overrides apply, --set on top)

        Exit status: 0 every capture read to its end; 1 a capture could not be read (missing,
        unreadable, not a capture: named on standard error; a missing or unreadable file is found
        before anything is printed) or a policy was refused; 2 a capture was cut short (truncated
        file or gzip member): the report covers the packets before the cut, and standard error says
        where it stopped; 64 a usage error (unknown option, bad value, bad --filter expression).
        """

    /// Exit statuses (documented in ``usage``).
    enum Status {
        static let complete: Int32 = 0
        static let failed: Int32 = 1
        static let truncated: Int32 = 2
    }

    static func run(_ args: [String]) throws -> Int32 {
        let parsed = try Arguments(
            args, valued: [
                "--filter", "--set", "--alerts", "--alerts-format", "--parser", "--policy", "--dns-log", "--local-zone",
            ],
            switches: ["--summary", "--jsonl", "--continuous", "--no-exemptions", "--help", "-h"])
        if parsed.has("--help") || parsed.has("-h") {
            OutputStream.standardOutput.line(usage)
            return 0
        }
        guard !parsed.positionals.isEmpty else { throw UsageError.missingArgument("capture FILE") }
        if let filter = parsed.value("--filter"), let message = CaptureFilter.check(filter) {
            throw UsageError.invalidValue(option: "--filter", value: filter, expected: "a BPF expression (\(message))")
        }
        var options = ReplayOptions(files: parsed.positionals, filter: parsed.value("--filter"))
        options.continuous = parsed.has("--continuous")
        if let parser = parsed.value("--parser") {
            guard let choice = DNSParserChoice(rawValue: parser) else {
                throw UsageError.invalidValue(option: "--parser", value: parser, expected: "fast or ldns")
            }
            options.parser = choice
        }
        if parsed.has("--no-exemptions") { options.exemptions = .none }
        guard try options.applyPolicyAndSettings(parsed, command: "replay") else { return 1 }

        // Files that are not there or cannot be read are reported before anything is printed: no
        // empty table or zero summary ahead of the error.
        let unreadable = parsed.positionals.filter { $0 != "-" }.compactMap(Self.unreadable)
        if !unreadable.isEmpty {
            for message in unreadable { OutputStream.standardError.line("airlock replay: \(message)") }
            return Status.failed
        }
        let alerts = try ReplayAlerts(path: parsed.value("--alerts"), format: parsed.value("--alerts-format"))
        let out = BufferedOutput(.standardOutput)
        let err = OutputStream.standardError
        let jsonl = parsed.has("--jsonl")
        let summaryOnly = parsed.has("--summary")
        let dnsLogPath = parsed.value("--dns-log")
        if dnsLogPath == "-" && (jsonl || summaryOnly) {
            throw UsageError.invalidValue(
                option: "--dns-log", value: "-", expected: "a file when --jsonl or --summary also writes to standard output")
        }
        let dnsLog = try dnsLogPath.map { path throws(UsageError) in
            BufferedOutput(try OutputFile.open(path, option: "--dns-log"))
        }
        options.dnsLog = dnsLog != nil
        // The log on standard output takes the table's place.
        let table = !jsonl && !summaryOnly && dnsLogPath != "-"
        // The table shows alerts only; --summary needs no per-query records at all.
        options.recordEveryDecision = jsonl || parsed.value("--alerts") != nil
        let progressLine = err.isTerminal ? ProgressLine(err) : nil
        // The header goes out with the first row (or the footer), so a run that reads nothing prints
        // no table.
        let header = HeaderOnce(table ? TableFormat.header : nil)

        let summary = Replayer(options: options).run(
            onRecord: { record in
                alerts?.take(record)
                if jsonl {
                    if let line = RecordFormat.json(record) { out.line(line) }
                } else if table, let line = TableFormat.row(record) {
                    header.emit(to: out)
                    out.line(line)
                }
            },
            onProgress: { progress in progressLine?.update(progress) },
            onDNSLog: { record in dnsLog?.line(ZeekDNSFormat.line(record)) })
        if let dnsLog {
            dnsLog.flush()
            OutputFile.close(dnsLog.stream)
        }
        progressLine?.clear()
        if let alerts {
            alerts.finish()
            err.line("airlock replay: \(alerts.pipeline.raised) alert record(s) written to \(alerts.path)")
        }

        // Nothing read at all (every file failed to open): the errors alone, no zero report.
        let readNothing = summary.failures.count >= summary.files && summary.packets == 0
        if readNothing {
        } else if summaryOnly {
            out.line(summary.json())
        } else if table {
            header.emit(to: out)
            for line in TableFormat.footer(summary) { out.line(line) }
        }
        out.flush()
        for failure in summary.failures { err.line("airlock replay: \(failure.message)") }
        for t in summary.truncations {
            err.line(
                "airlock replay: \(t.file): stopped at packet \(t.packet)"
                    + (t.byteOffset.map { ", byte offset \($0)" } ?? "") + ": \(t.reason)")
        }
        if !summary.failures.isEmpty { return Status.failed }
        return summary.truncations.isEmpty ? Status.complete : Status.truncated
    }

    /// Why `path` cannot be replayed (missing, a directory, unreadable), nil when it can be opened.
    static func unreadable(_ path: String) -> String? {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            return "capture file not found: \(path)"
        }
        if isDirectory.boolValue { return "cannot read capture \(path): is a directory" }
        guard FileManager.default.isReadableFile(atPath: path) else { return "cannot read capture \(path): permission denied" }
        return nil
    }
}

/// The table header, written once before whatever comes first.
final class HeaderOnce: @unchecked Sendable {
    private var line: String?
    init(_ line: String?) { self.line = line }
    func emit(to out: BufferedOutput) {
        guard let text = line else { return }
        line = nil
        out.line(text)
    }
}

/// The readable terminal table: one row per alert (first verdict per domain) and per bypass.
enum TableFormat {
    /// Column widths fit a timestamp (27 characters) and an IPv4 client with a space after each, so
    /// header and rows line up; longer values push their row's later columns right.
    static let header = pad("TIME", 28) + pad("CLIENT", 22) + pad("VERDICT", 17) + pad("DOMAIN", 34) + pad("QUERIES", 8)
        + "WHY"

    static func row(_ record: ReplayRecord) -> String? {
        switch record {
        case .query(_, let event, let assessment):
            guard let v = assessment.verdict, v.isFirst else { return nil }
            return line(event.time, event.client, v)
        case .responseVerdict(_, let event, let v):
            guard v.isFirst else { return nil }
            return line(event.time, event.client, v)
        case .bypass(let b, let first):
            guard first else { return nil }
            return pad(b.time.description, 28) + pad(b.client.description, 22) + pad("resolver-bypass", 17)
                + pad(b.serverName ?? b.destination.description, 34) + pad("-", 8) + b.reason
        case .policy:
            // Policy refusals are summarised per domain and rule in the footer.
            return nil
        }
    }

    private static func line(_ time: Timestamp, _ client: Endpoint, _ v: Verdict) -> String {
        let why = v.evidence.prefix(4).map(\.description).joined(separator: " ")
        return pad(time.description, 28) + pad(client.description, 22) + pad(v.kind.rawValue, 17)
            + pad(v.domain.value, 34) + pad(String(v.queries), 8) + "score \(Evidence.formatted(v.score)): \(why)"
    }

    static func footer(_ s: ReplaySummary) -> [String] {
        var lines = [
            "",
            "\(s.files) file(s), \(s.packets) packets, \(s.dnsMessages) DNS messages (\(s.queries) queries, "
                + "\(s.responses) responses), \(s.malformed) malformed, \(s.flagged.count) flagged, "
                + "\(s.bypasses.count) resolver bypass(es) in \(Evidence.formatted(s.elapsedSeconds)) s",
        ]
        if !s.malformedByReason.isEmpty {
            lines.append(
                "malformed: "
                    + s.malformedByReason.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))
        }
        for f in s.flagged {
            lines.append(
                "flagged \(f.verdict.rawValue) \(f.domain.value) (\(f.domain.kind.rawValue)) in \(f.file): "
                    + "\(f.queries) queries, alert after \(f.queriesBeforeAlert) queries / "
                    + "\(f.nameBytesBeforeAlert) name bytes; \(f.reasons.joined(separator: ", "))")
        }
        for p in s.policy {
            let rules = p.byRule.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            lines.append(
                "policy \(p.file) sha256:\(p.policyVersion.prefix(12)): \(p.blocked) blocked, \(p.wouldBlock) would-block "
                    + "of \(p.queries) queries" + (rules.isEmpty ? "" : "; by rule: \(rules)"))
            for r in p.refusals {
                lines.append(
                    "  \(r.action) \(r.domain): \(r.count) × \(r.rule), first '\(r.first.name?.description ?? "")' at "
                        + "\(r.first.time) from \(r.first.client): \(r.first.basis?.reason ?? "")")
            }
        }
        return lines
    }

    static func pad(_ s: String, _ width: Int) -> String {
        s.count >= width ? s + " " : s + String(repeating: " ", count: width - s.count)
    }
}

/// One JSON line per decision for `--jsonl`.
enum RecordFormat {
    static func json(_ record: ReplayRecord) -> String? {
        var o = JSONObjectWriter()
        switch record {
        case .query(let file, let e, let a):
            o.add("type", "dns_query")
            o.add("time", e.time.description)
            o.add("file", file)
            o.add("client", e.client.description)
            o.add("server", e.server.description)
            o.add("transport", e.transport.rawValue)
            o.add("id", Int(e.id))
            o.add("name", e.name.description)
            o.add("qtype", DNSRecordType.name(e.qtype))
            o.add("domain", e.domain.value)
            o.add("grouped_by", e.domain.kind.rawValue)
            o.add("sandbox", e.sandbox?.name)
            o.add("name_score", a.nameScore)
            o.add("domain_score", a.domainScore)
            o.add("entropy", a.features.entropy)
            o.add("ngram", a.features.ngramLogLikelihood)
            o.add("exempt", a.exempt)
            add(a.verdict, to: &o)
        case .responseVerdict(let file, let e, let v):
            o.add("type", "dns_response")
            o.add("time", e.time.description)
            o.add("file", file)
            o.add("client", e.client.description)
            o.add("name", e.name.description)
            o.add("domain", e.domain.value)
            o.add("rcode", Int(e.rcode))
            o.add("payload_bytes", e.payloadBytes)
            add(v, to: &o)
        case .bypass(let b, let first):
            o.add("type", "resolver_bypass")
            o.add("time", b.time.description)
            o.add("file", b.file)
            o.add("client", b.client.description)
            o.add("destination", b.destination.description)
            o.add("transport", b.transport.rawValue)
            o.add("kind", b.kind)
            o.add("server_name", b.serverName)
            o.add("reason", b.reason)
            o.add("alert", first)
        case .policy(_, let decision):
            // The same line `airlock serve` logs for this decision.
            return DecisionFormat.string(decision)
        }
        return o.finish()
    }

    private static func add(_ v: Verdict?, to o: inout JSONObjectWriter) {
        guard let v else {
            o.add("verdict", nil as String?)
            o.add("alert", false)
            return
        }
        o.add("verdict", v.kind.rawValue)
        o.add("alert", v.isFirst)
        o.add("rule", v.rule)
        o.add("score", v.score)
        o.add("threshold", v.threshold)
        o.add("queries", v.queries)
        o.add("name_bytes", v.nameBytes)
        if !v.members.isEmpty {
            o.add("campaign", strings: v.members.map(\.value))
            o.add("campaign_size", v.memberCount)
        }
        o.add(
            "evidence",
            raw: JSONObjectWriter.array(
                v.evidence.map { e in
                    var x = JSONObjectWriter()
                    x.add("feature", e.feature)
                    x.add("value", e.value)
                    x.add("threshold", e.threshold)
                    x.add("contribution", e.contribution)
                    return x.finish()
                }))
    }
}

/// `--alerts FILE`: replay decisions go through the same builder and alert pipeline as live ones,
/// with a file sink, so the records (and their ids) match what the live proxy would have sent.
final class ReplayAlerts {
    let path: String
    let pipeline: AlertPipeline
    let builder = DecisionEventBuilder()

    /// Alerts through a pipeline configured elsewhere (`watch --alerts FILE`, as `serve`).
    init(pipeline: AlertPipeline, path: String) {
        self.pipeline = pipeline
        self.path = path
    }

    init?(path: String?, format: String?) throws {
        guard let path else {
            if format != nil { throw UsageError.missingArgument("--alerts FILE (for --alerts-format)") }
            return nil
        }
        var configuration = AlertingConfiguration()
        if let format {
            guard let value = AlertFormat(rawValue: format) else {
                throw UsageError.invalidValue(option: "--alerts-format", value: format, expected: "ocsf or eve")
            }
            configuration.format = value
        }
        configuration.file = .init(path: path)
        configuration.file?.maxBytes = 1 << 40
        configuration.queueCapacity = 1_000_000
        configuration.shutdownDrainSeconds = 60
        self.path = path
        do { pipeline = try AlertPipeline(configuration: configuration) } catch {
            throw UsageError.invalidValue(option: "--alerts", value: path, expected: "a writable file (\(error))")
        }
    }

    func take(_ record: ReplayRecord) {
        switch record {
        case .query(_, let event, let assessment):
            if assessment.verdict == nil {
                pipeline.submitRoutine(action: .allow, time: event.time)
            } else {
                pipeline.submit(builder.decision(query: event, assessment: assessment))
            }
        case .responseVerdict(_, let event, let verdict):
            pipeline.submit(builder.decision(response: event, verdict: verdict))
        case .bypass(let b, _):
            pipeline.submit(
                builder.decision(
                    bypassKind: b.kind, serverName: b.serverName, reason: b.reason, time: b.time, client: b.client,
                    destination: b.destination, transport: b.transport, sandbox: nil))
        case .policy:
            // Policy dry-run decisions are reported by the replay itself; alerts carry engine verdicts.
            break
        }
    }

    func finish() { pipeline.finish() }
}
