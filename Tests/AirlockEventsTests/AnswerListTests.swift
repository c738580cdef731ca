import AirlockEvents
import Testing

/// A response event's answer types and addresses keep the first few inline and the rest in an array:
/// every value comes back as it went in, in order.
@Suite struct AnswerListTests {
    @Test func answerTypesComeBackInOrder() {
        for count in 0...10 {
            let types = (0..<count).map { UInt16(truncatingIfNeeded: 0xFFF0 + $0) }
            let list = DNSAnswerTypes(types)
            #expect(Array(list) == types)
            #expect(list.count == count)
            #expect(list == DNSAnswerTypes(types))
        }
        let literal: DNSAnswerTypes = [1, 28, 5]
        #expect(Array(literal) == [1, 28, 5])
    }

    @Test func answerAddressesComeBackInOrder() {
        let pool: [IPAddress] = [
            .v4(0xC000_0201), .v6(high: 0x2001_0db8_0000_0000, low: 1), .v4(0), .v6(high: 0, low: 0xFFFF_C000_0201),
            .v4(0xFFFF_FFFF), .v6(high: .max, low: .max),
        ]
        for count in 0...9 {
            for shift in 0..<pool.count {
                let addresses = (0..<count).map { pool[($0 + shift) % pool.count] }
                let list = DNSAnswerAddresses(addresses)
                #expect(Array(list) == addresses)
                #expect(list.isEmpty == addresses.isEmpty)
                #expect(list == DNSAnswerAddresses(addresses))
            }
        }
    }
}
