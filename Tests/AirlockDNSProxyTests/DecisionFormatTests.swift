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
}
