import AirlockDNSProxy
import AirlockEnforcement
import AirlockEvents
import Foundation
import Testing

/// The decision log writes time, client and name without building strings; what it writes must read
/// back as exactly what the values' own descriptions say.
@Suite struct DecisionFormatTests {
    func roundTrip(_ record: DNSDecisionRecord) throws -> [String: Any] {
        let line = DecisionFormat.string(record)
        return try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "\(line)")
    }

    @Test func fastFieldsMatchTheDescriptions() throws {
        let labels: [[UInt8]] = [
            Array("we\"ird".utf8), [0x2E, 0x5C, 0x00, 0xFF, 0x20, 0x7F], Array("Example".utf8), Array("com".utf8),
        ]
        let name = try #require(DNSName(labels: labels))
        let times: [Int64] = [0, 1_700_000_000_123_456_789, 1_700_000_000_999_999_999, -1_500]
        let clients = [
            Endpoint(address: IPAddress("198.18.1.2")!, port: 41_000),
            Endpoint(address: IPAddress("0.0.0.0")!, port: 0),
            Endpoint(address: IPAddress("2001:db8::1")!, port: 53),
        ]
        for (i, ns) in times.enumerated() {
            let time = Timestamp(nanoseconds: ns)
            let record = DNSDecisionRecord(
                time: time, stage: .query, action: .allow, sandbox: nil, client: clients[i % clients.count],
                transport: .udp, name: name, qtype: 1, policyVersion: "ab12")
            let object = try roundTrip(record)
            #expect(object["time"] as? String == time.description)
            #expect(object["client"] as? String == clients[i % clients.count].description)
            #expect(object["name"] as? String == name.description)
            #expect(object["policy_version"] as? String == "sha256:ab12")
        }
        // Several records in one batch share the formatted second, and still each get their own time.
        let batch = (0..<3).map { i in
            DNSDecisionRecord(
                time: Timestamp(nanoseconds: 1_700_000_000_000_000_000 + Int64(i) * 400_000_000), stage: .query,
                action: .allow, sandbox: "s", client: clients[0], transport: .tcp, name: name, policyVersion: "v")
        }
        var bytes: [UInt8] = []
        DecisionFormat.append(batch, to: &bytes)
        let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n")
        #expect(lines.count == 3)
        for (line, record) in zip(lines, batch) {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            #expect(object["time"] as? String == record.time.description)
        }
    }

    /// Plain records (no basis, verdict, detail or stripped parts; nothing to escape) are written in
    /// one go; every line must be byte for byte the field-by-field one, and anything that is not
    /// plain must still come out the general way.
    @Test func plainLinesAreTheGeneralLines() throws {
        let plainName = try #require(DNSName("www.Example.com"))
        let oddName = try #require(DNSName(labels: [Array("we\"ird".utf8), Array("com".utf8)]))
        let dotted = try #require(DNSName(labels: [[0x61, 0x2E, 0x62], Array("com".utf8)]))
        let clients = [
            Endpoint(address: IPAddress("198.18.1.2")!, port: 41_000),
            Endpoint(address: IPAddress("0.0.0.0")!, port: 0),
            Endpoint(address: IPAddress("255.255.255.255")!, port: 65_535),
            Endpoint(address: IPAddress("2001:db8::1")!, port: 53),
        ]
        var stripped = QueryStripped()
        stripped.trailingBytes = 3
        var records: [DNSDecisionRecord] = []
        for (i, client) in clients.enumerated() {
            for name in [plainName, oddName, dotted, DNSName(""), nil] as [DNSName?] {
                for sandbox in [nil, "agent-1", "we\"ird", "tab\there", "ünï"] as [String?] {
                    var record = DNSDecisionRecord(
                        time: Timestamp(nanoseconds: 1_700_000_000_123_456_789 + Int64(i) * 1_000_000_007),
                        stage: i % 2 == 0 ? .query : .answer, action: i % 3 == 0 ? .allow : .servfail,
                        sandbox: sandbox, client: client, transport: i % 2 == 0 ? .udp : .tcp, name: name,
                        qtype: [1, 28, 65_300, 4_000][i],
                        domain: name.map { _ in DomainKey(value: "example.com", kind: .registeredDomain, labelCount: 2) },
                        alert: i == 1, cached: i == 2, rcode: [nil, 0, 3, 2][i], mode: [nil, .enforce, .report, .open][i],
                        policyVersion: "1d4025c9")
                    records.append(record)
                    record.detail = "why"
                    records.append(record)
                    record.detail = nil
                    record.stripped = stripped
                    records.append(record)
                }
            }
        }
        for record in records {
            var plain: [UInt8] = []
            DecisionFormat.append(record, to: &plain)
            var general: [UInt8] = []
            DecisionFormat.appendGeneral(record, to: &general)
            #expect(plain == general, "\(String(decoding: plain, as: UTF8.self))")
        }
        // A batch (the second shared between lines) is the lines one after the other.
        var batch: [UInt8] = []
        DecisionFormat.append(records, to: &batch)
        var oneByOne: [UInt8] = []
        for record in records { DecisionFormat.appendGeneral(record, to: &oneByOne) }
        #expect(batch == oneByOne)
    }
}
