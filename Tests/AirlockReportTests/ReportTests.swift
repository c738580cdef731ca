import AirlockReplay
import AirlockReport
import AirlockTestSupport
import Foundation
import Testing

enum Paths {
    static let root = Repository.root
    static func capture(_ name: String) -> String { root.appendingPathComponent("Captures/\(name)").path }
    static var airlock: String { Repository.airlock }
    static func scratch() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("airlock-report-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
    /// The capture's packets `copies` times over (later copies shifted by the capture's span), as
    /// a bigger capture of the same traffic.
    static func repeated(_ name: String, copies: Int, into dir: URL) throws -> String {
        let data = try Data(contentsOf: URL(fileURLWithPath: capture(name)))
        var out = Data(data.prefix(24))
        for copy in 0..<copies {
            var offset = 24
            while offset + 16 <= data.count {
                var header = [UInt8](data[offset..<(offset + 16)])
                let length = Int(UInt32(header[8]) | UInt32(header[9]) << 8 | UInt32(header[10]) << 16 | UInt32(header[11]) << 24)
                var seconds = UInt32(header[0]) | UInt32(header[1]) << 8 | UInt32(header[2]) << 16 | UInt32(header[3]) << 24
                seconds += UInt32(copy * 600)
                for i in 0..<4 { header[i] = UInt8((seconds >> (8 * UInt32(i))) & 0xFF) }
                out.append(contentsOf: header)
                out.append(data[(offset + 16)..<(offset + 16 + length)])
                offset += 16 + length
            }
        }
        let path = dir.appendingPathComponent("repeated-\(copies).pcap").path
        try out.write(to: URL(fileURLWithPath: path))
        return path
    }
}

@Suite struct ReportModelTests {
    @Test func aTunnelInsideBrowsingIsOneIncidentWithItsTimelineAndNames() throws {
        let model = ReportBuilder.build(options: ReplayOptions(files: [Paths.capture("mixed/mixed-iodine-txt-browsing.pcap")]))
        #expect(model.incidents.count == 1)
        let incident = try #require(model.incidents.first)
        #expect(incident.domains == ["airlock-staging.eu"])
        #expect(incident.verdict.kind == .tunnel)
        #expect(!incident.verdict.evidence.isEmpty)
        // Every query to the domain is on the timeline; the names are the client's, ending at the alert.
        #expect(incident.timeline.counts.values.reduce(0, +) == incident.totalQueries)
        #expect(incident.totalQueries > 100)
        #expect(!incident.names.isEmpty && incident.names.count <= 24)
        #expect(incident.names.last!.time <= incident.firstAlert)
        #expect(incident.names.allSatisfy { $0.name.hasSuffix("airlock-staging.eu") })
        #expect(incident.beforeAlert.queries >= incident.names.count)
        #expect(incident.beforeAlert.queries < incident.totalQueries)
        // Clients ranked by information: the tunnel's client first, its top domain the tunnel.
        #expect(model.clients.first?.domains.first?.domain == "airlock-staging.eu")
        #expect(model.clients.first?.domains.first?.flagged == true)
    }

    @Test func theRationaleIsInWords() throws {
        let model = ReportBuilder.build(options: ReplayOptions(files: [Paths.capture("mixed/mixed-iodine-txt-browsing.pcap")]))
        let verdict = try #require(model.incidents.first?.verdict)
        let words = Rationale.summary(verdict)
        #expect(words.contains("score"))
        #expect(!Rationale.sentences(verdict).contains { $0.contains("_") && $0.contains(" = ") }, "every feature phrased")
    }
}

@Suite struct HTMLReportTests {
    static func page(_ files: [String], policy: String? = nil) throws -> String {
        var arguments = ["report", "-o", "-"] + files
        if let policy { arguments += ["--policy", policy] }
        let r = try runProcess(Paths.airlock, arguments)
        #expect(r.status == 0, "\(r.stderr)")
        return r.stdout
    }

    @Test func onePageWithNothingFetchedFromAnywhere() throws {
        let html = try Self.page([Paths.capture("mixed/mixed-iodine-txt-browsing.pcap")])
        #expect(html.hasPrefix("<!DOCTYPE html>"))
        #expect(html.contains("default-src 'none'"))
        for forbidden in ["<script", "<link", "<img", "<iframe", "src=", "href=\"http", "url(", "@import"] {
            #expect(!html.contains(forbidden), "\(forbidden)")
        }
        #expect(html.contains("1 DNS tunnel detected"))
        #expect(html.contains("airlock-staging.eu"))
        #expect(html.contains("Queries over time") && html.contains("Features against thresholds"))
        #expect(html.contains("Names that convicted it"))
        #expect(html.contains("Clients by information sent") && html.contains("Resolver bypasses"))
    }

    @Test func aQuietCaptureSaysSoAndShowsTheBusiestDomains() throws {
        let html = try Self.page([Paths.capture("benign/benign-tcp.pcap")])
        #expect(html.contains("Nothing flagged"))
        #expect(html.contains("Busiest domains"))
        #expect(!html.contains("Queries over time"))
    }

    @Test func withAPolicyTheHeadlineSaysWhatLeftBeforeTheBlock() throws {
        let html = try Self.page(
            [Paths.capture("mixed/mixed-iodine-txt-browsing.pcap")],
            policy: Paths.root.appendingPathComponent("Deploy/policy.example.yaml").path)
        #expect(html.contains("before the policy block") || html.contains("would not have blocked"))
        #expect(html.contains("policy <code>sha256:"))
    }

    /// Twenty times the traffic, the same page: elements are per record type and per bounded table
    /// row, never per query.
    @Test func thePageDoesNotGrowWithTheCapture() throws {
        let dir = try Paths.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let small = try Self.page([try Paths.repeated("mixed/mixed-iodine-txt-browsing.pcap", copies: 1, into: dir)])
        let big = try Self.page([try Paths.repeated("mixed/mixed-iodine-txt-browsing.pcap", copies: 20, into: dir)])
        func elements(_ s: String) -> Int { s.split(separator: "<", omittingEmptySubsequences: false).count - 1 }
        #expect(big.contains("airlock-staging.eu"))
        #expect(elements(big) <= elements(small) + 60, "\(elements(small)) → \(elements(big))")
        #expect(big.utf8.count < 400_000)
    }
}

/// The page in a real browser: headless Chromium renders it, takes a screenshot and prints the DOM
/// after layout; the test checks the flagged domain is on the rendered page and the console stayed
/// silent (the page has no script, so any console line is an error: a blocked fetch, a CSP refusal).
@Suite(.enabled(if: Chromium.path != nil, "chromium is not installed (Deploy/install-deps.sh installs it)"))
struct ChromiumReportTests {
    @Test func chromiumRendersTheReportWithoutConsoleErrors() throws {
        let dir = try Paths.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let page = dir.appendingPathComponent("report.html")
        try HTMLReportTests.page([Paths.capture("mixed/mixed-iodine-txt-browsing.pcap")]).write(
            to: page, atomically: true, encoding: .utf8)
        let screenshot = dir.appendingPathComponent("report.png")
        let shot = try Chromium.run(["--screenshot=\(screenshot.path)", "--window-size=1100,1800", page.absoluteString])
        #expect(shot.status == 0, "\(shot.stderr)")
        let console = shot.stderr.split(separator: "\n").filter { $0.contains(":CONSOLE") }
        #expect(console.isEmpty, "\(console)")
        let png = try Data(contentsOf: screenshot)
        #expect(png.prefix(8) == Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]))
        #expect(png.count > 20_000, "a rendered page, not a blank one")
        let dom = try Chromium.run(["--dump-dom", page.absoluteString])
        #expect(dom.stdout.contains("airlock-staging.eu"))
        #expect(dom.stdout.contains("<svg class=\"timeline\""))
        #expect(!dom.stderr.split(separator: "\n").contains { $0.contains(":CONSOLE") })
    }
}

enum Chromium {
    static let path: String? = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first {
        FileManager.default.isExecutableFile(atPath: $0)
    }

    /// Headless, no network (a proxy that does not exist), a throwaway profile; killed after 60 s.
    static func run(_ arguments: [String]) throws -> ProcessOutput {
        let profile = FileManager.default.temporaryDirectory.appendingPathComponent("airlock-chromium-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: profile) }
        return try runProcess(
            path!,
            [
                "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--user-data-dir=\(profile.path)",
                "--proxy-server=127.0.0.1:9", "--enable-logging=stderr", "--v=0",
            ] + arguments, timeout: 60)
    }
}
