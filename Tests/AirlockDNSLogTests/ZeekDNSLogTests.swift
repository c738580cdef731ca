import AirlockDNSLog
import AirlockDNSWire
import AirlockEvents
import AirlockTestSupport
import Foundation
import Testing

/// Hand-made messages, byte by byte, for the renderer and the join.
enum Wire {
    static func u16(_ v: UInt16) -> [UInt8] { [UInt8(v >> 8), UInt8(v & 0xFF)] }
    static func u32(_ v: UInt32) -> [UInt8] { u16(UInt16(v >> 16)) + u16(UInt16(v & 0xFFFF)) }
    static func name(_ text: String) -> [UInt8] {
        var out: [UInt8] = []
        for label in text.split(separator: ".") { out.append(UInt8(label.utf8.count)); out += Array(label.utf8) }
        return out + [0]
    }
    static func header(id: UInt16, flags: UInt16, qd: UInt16 = 1, an: UInt16 = 0, ns: UInt16 = 0, ar: UInt16 = 0)
        -> [UInt8]
    { u16(id) + u16(flags) + u16(qd) + u16(an) + u16(ns) + u16(ar) }
    static func rr(_ owner: [UInt8], _ type: UInt16, ttl: UInt32 = 300, _ rdata: [UInt8]) -> [UInt8] {
        owner + u16(type) + u16(1) + u32(ttl) + u16(UInt16(rdata.count)) + rdata
    }
    static func query(_ name: String, id: UInt16 = 7, type: UInt16 = 1, flags: UInt16 = 0x0100) -> [UInt8] {
        header(id: id, flags: flags) + Self.name(name) + u16(type) + u16(1)
    }
    static func parsed(_ bytes: [UInt8]) -> DNSMessage { try! DNSWireReader.parse(bytes.span).get() }
}

@Suite struct ZeekAnswerTests {
    /// One response with every kind of answer Zeek writes differently, names compressed.
    @Test func answersReadAsZeekWritesThem() throws {
        // Question name at offset 12: "t.example.com"; pointers to it are C0 0C, to "example.com" C0 0E.
        var m = Wire.header(id: 1, flags: 0x8180, an: 9) + Wire.name("t.example.com") + Wire.u16(1) + Wire.u16(1)
        let owner: [UInt8] = [0xC0, 0x0C]
        m += Wire.rr(owner, 1, ttl: 60, [192, 0, 2, 7])
        m += Wire.rr(owner, 28, ttl: 61, [0x20, 0x01, 0x0d, 0xb8] + [UInt8](repeating: 0, count: 11) + [1])
        m += Wire.rr(owner, 5, [3] + Array("cdn".utf8) + [0xC0, 0x0E])
        m += Wire.rr(owner, 15, Wire.u16(10) + [2] + Array("mx".utf8) + [0xC0, 0x0E])
        m += Wire.rr(owner, 33, Wire.u16(1) + Wire.u16(2) + Wire.u16(443) + [0xC0, 0x0C])
        m += Wire.rr(owner, 16, [5] + Array("hello".utf8) + [3, 0x00, 0xFF, 0x41])
        m += Wire.rr(owner, 10, [1, 2, 3])
        m += Wire.rr(owner, 12, [4, 0x61, 0x2E, 0x5C, 0x7F, 0xC0, 0x0E])
        m += Wire.rr(owner, 65280, [9])
        let rendered = ZeekAnswerRenderer.answers(m.span)
        let answers = try #require(rendered)
        #expect(
            answers.map(\.text) == [
                "192.0.2.7", "2001:db8::1", "cdn.example.com", "mx.example.com", "t.example.com",
                "TXT 5 hello TXT 3 \\x00\\xffA", "<unknown type=10>", "a.\\x5c\\x7f.example.com", "<unknown type=65280>",
            ])
        #expect(answers.map(\.ttl) == [60, 61, 300, 300, 300, 300, 300, 300, 300])
    }

    @Test func namesZeekCannotName() {
        #expect(ZeekNames.qtype(65) == "HTTPS")
        #expect(ZeekNames.qtype(255) == "*")
        #expect(ZeekNames.qtype(65399) == "query-65399")
        #expect(ZeekNames.rcode(3) == "NXDOMAIN")
        #expect(ZeekNames.rcode(8) == "NXRRSet")
        #expect(ZeekNames.rcode(99) == "rcode-99")
        #expect(ZeekNames.qclass(3) == "C_CHAOS")
        #expect(ZeekNames.qclass(7) == "qclass-7")
    }
}

@Suite struct DNSLogJoinerTests {
    let client = Endpoint(address: IPAddress("198.18.0.1")!, port: 40000)
    let server = Endpoint(address: IPAddress("198.18.0.53")!, port: 53)

    func up(_ t: Double) -> DNSLogJoiner.Origin {
        .init(time: Timestamp(seconds: 1_700_000_000 + t), source: client, destination: server, transport: .udp)
    }
    func down(_ t: Double) -> DNSLogJoiner.Origin {
        .init(time: Timestamp(seconds: 1_700_000_000 + t), source: server, destination: client, transport: .udp)
    }

    @Test func aQueryAndItsResponseAreOneLineWithTheQuerysTime() {
        var joiner = DNSLogJoiner()
        var out: [ZeekDNSRecord] = []
        joiner.query(Wire.parsed(Wire.query("WWW.Example.com", id: 9)), up(0), airlock: nil, into: &out)
        #expect(out.isEmpty)
        let response = Wire.header(id: 9, flags: 0x8580, an: 1) + Wire.name("www.example.com") + Wire.u16(1)
            + Wire.u16(1) + Wire.rr([0xC0, 0x0C], 1, ttl: 30, [192, 0, 2, 1])
        joiner.response(
            Wire.parsed(response), down(0.25), answers: ZeekAnswerRenderer.answers(response.span)!, into: &out)
        #expect(out.count == 1)
        let line = ZeekDNSFormat.line(out[0])
        #expect(
            line.hasPrefix(
                "{\"ts\":1700000000.0,\"uid\":\"\(out[0].uid)\",\"id.orig_h\":\"198.18.0.1\",\"id.orig_p\":40000,"
                    + "\"id.resp_h\":\"198.18.0.53\",\"id.resp_p\":53,\"proto\":\"udp\",\"trans_id\":9,\"rtt\":0.25,"
                    + "\"query\":\"www.example.com\",\"qclass\":1,\"qclass_name\":\"C_INTERNET\",\"qtype\":1,"
                    + "\"qtype_name\":\"A\",\"rcode\":0,\"rcode_name\":\"NOERROR\",\"AA\":true,\"TC\":false,\"RD\":true,"
                    + "\"RA\":true,\"Z\":0,\"answers\":[\"192.0.2.1\"],\"TTLs\":[30.0],\"rejected\":false}"),
            "\(line)")
        #expect(out[0].uid.hasPrefix("C") && out[0].uid.count == 18)
        var end: [ZeekDNSRecord] = []
        joiner.finish(into: &end)
        #expect(end.isEmpty)
    }

    @Test func unansweredQueriesAgeOutAndRetransmissionsPairInOrder() {
        var joiner = DNSLogJoiner(timeoutSeconds: 60)
        var out: [ZeekDNSRecord] = []
        joiner.query(Wire.parsed(Wire.query("a.example.com", id: 1)), up(0), airlock: nil, into: &out)
        joiner.query(Wire.parsed(Wire.query("a.example.com", id: 1)), up(1), airlock: nil, into: &out)
        let response = Wire.header(id: 1, flags: 0x8183) + Wire.name("a.example.com") + Wire.u16(1) + Wire.u16(1)
        joiner.response(Wire.parsed(response), down(1.5), answers: [], into: &out)
        // The first query is answered (Zeek's FIFO); NXDOMAIN with no records at all is "rejected".
        #expect(out.count == 1)
        #expect(out[0].ts == Timestamp(seconds: 1_700_000_000) && out[0].rtt == 1.5)
        #expect(out[0].rcode == 3 && out[0].rejected)
        // 70 s later another query sweeps the retransmission out, unanswered, with the same uid.
        joiner.query(Wire.parsed(Wire.query("b.example.com", id: 2)), up(71), airlock: nil, into: &out)
        #expect(out.count == 2)
        #expect(out[1].rcode == nil && out[1].rtt == nil && out[1].query == "a.example.com")
        #expect(out[1].uid == out[0].uid)
        #expect(!ZeekDNSFormat.line(out[1]).contains("rcode"))
        // The conversation was idle for 70 s: a new connection in Zeek's sense, a new uid.
        var end: [ZeekDNSRecord] = []
        joiner.finish(into: &end)
        #expect(end.count == 1 && end[0].query == "b.example.com" && end[0].uid != out[0].uid)
    }

    @Test func aResponseWithoutItsQueryIsLoggedAlone() {
        var joiner = DNSLogJoiner()
        var out: [ZeekDNSRecord] = []
        let response = Wire.header(id: 5, flags: 0x8180, an: 0, ar: 0) + Wire.name("x.example.org") + Wire.u16(16)
            + Wire.u16(1)
        joiner.response(Wire.parsed(response), down(3), answers: [], into: &out)
        #expect(out.count == 1)
        #expect(out[0].orig == client && out[0].resp == server)
        #expect(out[0].query == "x.example.org" && out[0].qtype == 16 && out[0].rtt == nil)
        #expect(out[0].airlock == nil)
    }

    @Test func theJoinIsBounded() {
        var joiner = DNSLogJoiner(capacity: 100)
        var out: [ZeekDNSRecord] = []
        for i in 0..<1000 {
            joiner.query(
                Wire.parsed(Wire.query("q\(i).example.com", id: UInt16(i))), up(Double(i) * 0.001), airlock: nil,
                into: &out)
        }
        var end: [ZeekDNSRecord] = []
        joiner.finish(into: &end)
        #expect(out.count + end.count == 1000)
        #expect(end.count <= 100)
    }
}

/// `airlock replay --dns-log` on bundled captures, against what Wireshark decodes from the same packets
/// (`Fixtures/zeek-from-tshark.py` made the expected files; `compare-zeek.py` says what is compared).
@Suite struct ReplayDNSLogTests {
    static let root = Repository.root
    static let fixtures = root.appendingPathComponent("Tests/AirlockDNSLogTests/Fixtures")
    static var binary: String { Repository.airlock }
    static let hasTShark = FileManager.default.isExecutableFile(atPath: "/usr/bin/tshark")

    /// Status and output (standard error included).
    static func run(_ executable: String, _ arguments: [String]) throws -> (Int32, String) {
        let r = try runProcess(executable, arguments, mergingStandardError: true)
        return (r.status, r.stdout)
    }

    static func dnsLog(_ capture: String) throws -> URL {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("airlock-dnslog-\(UUID().uuidString)")
        let (status, text) = try run(binary, ["replay", "--summary", "--dns-log", out.path, capture])
        #expect(status == 0, "\(text)")
        return out
    }

    @Test(arguments: ["benign/benign-tcp", "tunnel/iodine-a-base128", "mixed/mixed-iodine-txt-browsing"])
    func matchesWiresharksReading(_ capture: String) throws {
        let log = try Self.dnsLog(Self.root.appendingPathComponent("Captures/\(capture).pcap").path)
        defer { try? FileManager.default.removeItem(at: log) }
        let expected = Self.fixtures.appendingPathComponent((capture as NSString).lastPathComponent + ".expected.jsonl")
        let (status, text) = try Self.run(
            "/usr/bin/python3", [Self.fixtures.appendingPathComponent("compare-zeek.py").path, log.path, expected.path])
        #expect(status == 0, "\(text)")
        #expect(text.contains(" 0 differing, 0 missing"))
    }

    /// Every generated capture, against tshark run now (the fixtures above are three of them).
    @Test(.enabled(if: hasTShark, "tshark is not installed (AIRLOCK_BENCH=1 Deploy/install-deps.sh)"))
    func matchesTSharkOnEveryBundledCapture() throws {
        let folders = ["benign", "tunnel", "mixed"].map { Self.root.appendingPathComponent("Captures/\($0)") }
        let captures = folders.flatMap { folder in
            ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).filter { $0.hasSuffix(".pcap") }
                .map { folder.appendingPathComponent($0).path }
        }
        #expect(captures.count >= 10)
        for capture in captures {
            let log = try Self.dnsLog(capture)
            defer { try? FileManager.default.removeItem(at: log) }
            let (made, expected) = try Self.run(
                "/usr/bin/python3", [Self.fixtures.appendingPathComponent("zeek-from-tshark.py").path, capture])
            #expect(made == 0)
            let expectedFile = log.appendingPathExtension("expected")
            try expected.write(to: expectedFile, atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(at: expectedFile) }
            let (status, text) = try Self.run(
                "/usr/bin/python3",
                [Self.fixtures.appendingPathComponent("compare-zeek.py").path, log.path, expectedFile.path])
            #expect(status == 0, "\(capture): \(text)")
        }
    }

    /// The verdict rides on the log: the tunnel's records carry it, one of them marked as the alert.
    @Test func verdictFieldsMarkTheTunnel() throws {
        let log = try Self.dnsLog(Self.root.appendingPathComponent("Captures/mixed/mixed-iodine-txt-browsing.pcap").path)
        defer { try? FileManager.default.removeItem(at: log) }
        let lines = try String(contentsOf: log, encoding: .utf8).split(separator: "\n")
        let records = try lines.map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        let tunnel = records.filter { $0["airlock.verdict"] as? String == "tunnel" }
        #expect(!tunnel.isEmpty)
        let domains = Set(tunnel.compactMap { $0["airlock.domain"] as? String })
        #expect(domains.count == 1)
        let alerts = tunnel.filter { $0["airlock.alert"] as? Bool == true }
        #expect(alerts.count == 1)
        #expect((alerts.first?["airlock.rule"] as? String)?.hasPrefix("dns.tunnel.") == true)
        // Browsing in the same file carries no verdict, and every record has Zeek's core fields.
        #expect(records.count > tunnel.count * 2)
        for r in records { #expect(r["uid"] != nil && r["id.orig_h"] != nil && r["proto"] != nil) }
    }
}
