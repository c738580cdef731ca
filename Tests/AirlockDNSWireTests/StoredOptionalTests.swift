import AirlockDNSWire
import AirlockEvents
import Testing

/// The optional fields kept as a value and a flag (``StoredOptional``) read back what was set, and
/// messages and events that lack them compare and hash as before: equal when everything else is.
@Suite struct StoredOptionalTests {
    static let name = DNSName("www.example.com")!

    static func message(question: DNSQuestion?, edns: EDNSInfo?) -> DNSMessage {
        DNSMessage(
            // One header for all, so messages differ only in the fields under test.
            header: DNSHeader(id: 7, flags: DNSFlags(rawValue: 0x0100), questionCount: 1, answerCount: 0,
                              authorityCount: 0, additionalCount: 1),
            question: question, questionRange: nil, answers: DNSAnswerSummary(), payloadBytes: 0, minAnswerTTL: nil,
            edns: edns, byteCount: 12, trailingBytes: 0)
    }

    @Test func aMessagesQuestionAndOPTReadBackAndClear() {
        let question = DNSQuestion(name: Self.name, type: 1, qclass: 1)
        let edns = EDNSInfo(udpPayloadSize: 1232, flags: 0x8000)
        var message = Self.message(question: question, edns: edns)
        #expect(message.question == question && message.edns == edns)
        message.question?.type = 28
        #expect(message.question?.type == 28 && message.question?.name == Self.name)
        message.question = nil
        message.edns = nil
        #expect(message.question == nil && message.edns == nil)
        // Cleared, it is the message built without them: equal, same hash.
        let built = Self.message(question: nil, edns: nil)
        #expect(message == built && message.hashValue == built.hashValue)
        #expect(Self.message(question: question, edns: nil) != Self.message(question: nil, edns: nil))
        // An OPT record with the placeholder's fields is still an OPT record.
        #expect(Self.message(question: nil, edns: EDNSInfo(udpPayloadSize: 0)) != Self.message(question: nil, edns: nil))
    }

    @Test func anEventsSandboxReadsBackAndClears() {
        let endpoint = Endpoint(address: IPAddress("198.18.0.1")!, port: 5353)
        var event = DNSQueryEvent(
            time: Timestamp(nanoseconds: 1), client: endpoint, server: endpoint, transport: .udp, id: 1, name: Self.name,
            qtype: 1, domain: DomainKey(value: "example.com", kind: .registeredDomain, labelCount: 2))
        #expect(event.sandbox == nil)
        event.sandbox = SandboxID("agent-7")
        #expect(event.sandbox == SandboxID("agent-7"))
        // A sandbox named like the placeholder is still a sandbox.
        event.sandbox = SandboxID("")
        #expect(event.sandbox == SandboxID(""))
        event.sandbox = nil
        #expect(event.sandbox == nil)
    }
}
