import AirlockDNSWire
import AirlockEvents
import Testing

/// The answer summary keeps its first records packed inline and the rest in an array: every record
/// comes back as it went in, in order, whatever its address.
@Suite struct DNSAnswerSummaryTests {
    @Test func recordsComeBackAsTheyWentIn() {
        let addresses: [IPAddress?] = [
            .v4(0xC000_0201), nil, .v6(high: 0x2001_0db8_0000_0000, low: 1), .v4(0xFFFF_FFFF),
            .v6(high: .max, low: .max), nil, .v4(0),
        ]
        for count in 0...(addresses.count * 2) {
            var summary = DNSAnswerSummary()
            var expected: [DNSRecordSummary] = []
            for i in 0..<count {
                let record = DNSRecordSummary(
                    type: UInt16(truncatingIfNeeded: 0xFF00 + i), rclass: UInt16(truncatingIfNeeded: 0x8001 + i),
                    ttl: UInt32.max - UInt32(i), rdataLength: UInt16(truncatingIfNeeded: 0xFFF0 + i),
                    address: addresses[i % addresses.count])
                summary.append(record)
                expected.append(record)
            }
            #expect(summary.count == count)
            #expect(Array(summary) == expected)
            #expect((0..<count).allSatisfy { summary[$0] == expected[$0] })
        }
    }
}
