import AirlockTestSupport
import Foundation
import Testing

/// `replay` input beyond plain files: gzip-compressed captures, standard input, and the progress
/// line on a terminal.
@Suite struct ReplayInputTests {
    static let capture = CLI.root.appendingPathComponent("Captures/mixed/mixed-iodine-txt-browsing.pcap").path

    /// Runs the binary with a file as standard input; returns status, stdout, stderr.
    static func run(_ arguments: [String], stdinFile: String? = nil) throws -> CLI.Result {
        try runProcess(CLI.binary.path, arguments, stdinFile: stdinFile)
    }

    static func summary(_ r: CLI.Result) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
    }

    static func gzip(_ source: String, to target: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "gzip -c \"$0\" > \"$1\"", source, target]
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
    }

    static func scratch() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("airlock-input-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test func gzipFilesAndStandardInputGiveTheSameVerdicts() throws {
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let gz = dir.appendingPathComponent("capture.pcap.gz").path
        try Self.gzip(Self.capture, to: gz)
        let plain = try Self.summary(Self.run(["replay", "--summary", Self.capture]))
        let flagged = (plain["flagged"] as! [[String: Any]]).map { $0["domain"] as! String }
        #expect(flagged == ["airlock-staging.eu"])
        for (arguments, input) in [
            (["replay", "--summary", gz], nil), (["replay", "--summary", "-"], Self.capture),
            (["replay", "--summary", "-"], gz),
        ] as [([String], String?)] {
            let r = try Self.run(arguments, stdinFile: input)
            #expect(r.status == 0, "\(arguments) \(input ?? ""): \(r.stderr)")
            let s = try Self.summary(r)
            #expect(s["packets"] as? Int == plain["packets"] as? Int)
            #expect(s["queries"] as? Int == plain["queries"] as? Int)
            #expect((s["flagged"] as! [[String: Any]]).map { $0["domain"] as! String } == flagged)
            #expect((s["truncated"] as! [Any]).isEmpty)
        }
    }

    @Test func aCutGzipFileKeepsWhatCameBeforeTheDamage() throws {
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let gz = dir.appendingPathComponent("full.pcap.gz").path
        try Self.gzip(Self.capture, to: gz)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: gz))
        let cut = dir.appendingPathComponent("cut.pcap.gz").path
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: cut))
        let r = try Self.run(["replay", "--summary", cut])
        #expect(r.status == 2, "a cut capture exits 2 (documented in replay --help)")
        let s = try Self.summary(r)
        let truncated = try #require((s["truncated"] as? [[String: Any]])?.first)
        #expect((truncated["reason"] as? String)?.hasPrefix("gzip: unexpected end of file") == true, "\(truncated)")
        #expect((s["packets"] as? Int ?? 0) > 500)
        #expect(r.stderr.contains("cut.pcap.gz: stopped at packet"))

        let notCapture = dir.appendingPathComponent("text.pcap.gz").path
        try Data("hello\n".utf8).write(to: URL(fileURLWithPath: dir.appendingPathComponent("text").path))
        try Self.gzip(dir.appendingPathComponent("text").path, to: notCapture)
        let bad = try Self.run(["replay", "--summary", notCapture])
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("not a pcap or pcapng capture: \(notCapture)"))
    }

    /// On a terminal (util-linux `script` gives the command one), standard error shows the percent of
    /// the file read and an ETA; a pipe gets none of it.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/script"), "util-linux script is missing"))
    func progressShowsPercentAndETAOnATerminal() throws {
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        // 2 × 65,536 packets: two progress reports, the second with an ETA (the rate since the first).
        let source = try Data(contentsOf: URL(fileURLWithPath: Self.capture))
        var big = Data(source.prefix(24))
        let body = source.dropFirst(24)
        let packetsPerCopy = 2519
        for _ in 0..<(2 * 65_536 / packetsPerCopy + 1) { big.append(body) }
        let path = dir.appendingPathComponent("big.pcap").path
        try big.write(to: URL(fileURLWithPath: path))
        let typescript = dir.appendingPathComponent("typescript").path
        let r = try runProcess(
            "/usr/bin/script", ["-c", "'\(CLI.binary.path)' replay --summary '\(path)' >/dev/null", "-q", "-e", typescript])
        #expect(r.status == 0, "\(r.stderr)")
        let screen = try String(contentsOfFile: typescript, encoding: .utf8)
        #expect(screen.contains("big.pcap: "))
        #expect(screen.contains("% of "))
        #expect(screen.contains("ETA "))
        let piped = try Self.run(["replay", "--summary", path])
        #expect(!piped.stderr.contains("% of"))
    }
}
