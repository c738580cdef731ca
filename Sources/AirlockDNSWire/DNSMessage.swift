import AirlockEvents

/// One question: what a client asked for.
public struct DNSQuestion: Hashable, Sendable {
    /// Lower-cased; ``DNSName/hadMixedCase`` tells whether the wire had 0x20 mixed case.
    public var name: DNSName
    public var type: UInt16
    public var qclass: UInt16

    public init(name: DNSName, type: UInt16, qclass: UInt16) {
        self.name = name
        self.type = type
        self.qclass = qclass
    }
}

/// What the detection needs from one answer record, without its owner name or RDATA bytes.
public struct DNSRecordSummary: Hashable, Sendable {
    public var type: UInt16
    public var rclass: UInt16
    public var ttl: UInt32
    /// RDLENGTH as transmitted (compressed names inside RDATA count as sent).
    public var rdataLength: UInt16
    /// The address of an IN-class A or AAAA record (the rebinding check needs it).
    public var address: IPAddress?

    public init(type: UInt16, rclass: UInt16, ttl: UInt32, rdataLength: UInt16, address: IPAddress? = nil) {
        self.type = type
        self.rclass = rclass
        self.ttl = ttl
        self.rdataLength = rdataLength
        self.address = address
    }

    static let zero = DNSRecordSummary(type: 0, rclass: 0, ttl: 0, rdataLength: 0)
}

/// One record of any section as ``DNSWireReader/records(_:)`` lists it.
public struct DNSRecordInfo: Hashable, Sendable {
    public var section: DNSSection
    /// Position within its section.
    public var index: Int
    /// Type, class, TTL, RDLENGTH, and the address of IN-class A/AAAA records (in any section here).
    public var summary: DNSRecordSummary
    /// Where the RDATA lies in the message bytes.
    public var rdataRange: Range<Int>

    public init(section: DNSSection, index: Int, summary: DNSRecordSummary, rdataRange: Range<Int>) {
        self.section = section
        self.index = index
        self.summary = summary
        self.rdataRange = rdataRange
    }
}

/// The answer section's records: the first ``inlineCapacity`` inline, any more in an array.
///
/// Inline so that parsing a response allocates nothing for its answers (nearly all responses have
/// few); the rare long answer section costs one extra array, and the collection is always complete.
public struct DNSAnswerSummary: RandomAccessCollection, Hashable, Sendable {
    public static let inlineCapacity = 8

    private var storage = InlineArray<8, DNSRecordSummary>(repeating: .zero)
    private var overflow: [DNSRecordSummary] = []
    private var stored = 0

    public init() {}

    public var startIndex: Int { 0 }
    public var endIndex: Int { stored + overflow.count }
    public subscript(position: Int) -> DNSRecordSummary {
        precondition(position >= 0 && position < endIndex, "answer index out of range")
        return position < stored ? storage[position] : overflow[position - stored]
    }

    public mutating func append(_ record: DNSRecordSummary) {
        if stored < DNSAnswerSummary.inlineCapacity {
            storage[stored] = record
            stored += 1
        } else {
            overflow.append(record)
        }
    }

    public static func == (lhs: DNSAnswerSummary, rhs: DNSAnswerSummary) -> Bool {
        lhs.count == rhs.count && lhs.elementsEqual(rhs)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(count)
        for record in self { hasher.combine(record) }
    }
}

/// EDNS option codes of an OPT record: the first ``inlineCapacity`` inline, any more in an array.
public struct EDNSOptionCodes: RandomAccessCollection, Hashable, Sendable {
    public static let inlineCapacity = 8

    private var storage = InlineArray<8, UInt16>(repeating: 0)
    private var overflow: [UInt16] = []
    private var stored = 0

    public init() {}

    public var startIndex: Int { 0 }
    public var endIndex: Int { stored + overflow.count }
    public subscript(position: Int) -> UInt16 {
        precondition(position >= 0 && position < endIndex, "option index out of range")
        return position < stored ? storage[position] : overflow[position - stored]
    }

    public mutating func append(_ code: UInt16) {
        if stored < EDNSOptionCodes.inlineCapacity {
            storage[stored] = code
            stored += 1
        } else {
            overflow.append(code)
        }
    }

    public static func == (lhs: EDNSOptionCodes, rhs: EDNSOptionCodes) -> Bool {
        lhs.count == rhs.count && lhs.elementsEqual(rhs)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(count)
        for code in self { hasher.combine(code) }
    }
}

/// What the OPT pseudo-record said (RFC 6891 §6.1.3).
public struct EDNSInfo: Hashable, Sendable {
    /// The sender's UDP payload size (the OPT CLASS field).
    public var udpPayloadSize: UInt16
    /// The upper 8 bits of the 12-bit RCODE.
    public var extendedRcode: UInt8
    public var version: UInt8
    /// The 16 flag bits; bit 15 is DO.
    public var flags: UInt16
    public var optionCodes: EDNSOptionCodes

    public init(
        udpPayloadSize: UInt16, extendedRcode: UInt8 = 0, version: UInt8 = 0, flags: UInt16 = 0,
        optionCodes: EDNSOptionCodes = EDNSOptionCodes()
    ) {
        self.udpPayloadSize = udpPayloadSize
        self.extendedRcode = extendedRcode
        self.version = version
        self.flags = flags
        self.optionCodes = optionCodes
    }

    /// DNSSEC OK (RFC 3225).
    public var dnssecOK: Bool { flags & 0x8000 != 0 }
}

/// The hot fields of one DNS message, as ``DNSWireReader`` (and the ldns reference codec) see them.
///
/// A value: the only heap storage is the question name's wire bytes.
public struct DNSMessage: Hashable, Sendable {
    public var header: DNSHeader
    /// First question, nil when QDCOUNT is 0.
    public var question: DNSQuestion?
    /// Byte range of the first question (name, type, class) in the message, for echoing it verbatim
    /// (a response must keep the query's 0x20 case).
    public var questionRange: Range<Int>?
    public var answers: DNSAnswerSummary
    /// Sum of RDLENGTH over answer, authority and additional records, OPT excluded: the downstream
    /// channel a tunnel uses (TXT, NULL, CNAME payloads).
    public var payloadBytes: Int
    /// Smallest TTL in the answer section, nil when it is empty.
    public var minAnswerTTL: UInt32?
    /// The OPT record's contents, nil when the message has none.
    public var edns: EDNSInfo?
    /// Bytes the message occupies: header through the last record.
    public var byteCount: Int
    /// Bytes after the last record (allowed, counted: a fingerprint of some tools).
    public var trailingBytes: Int

    public init(
        header: DNSHeader, question: DNSQuestion?, questionRange: Range<Int>?, answers: DNSAnswerSummary,
        payloadBytes: Int, minAnswerTTL: UInt32?, edns: EDNSInfo?, byteCount: Int, trailingBytes: Int
    ) {
        self.header = header
        self.question = question
        self.questionRange = questionRange
        self.answers = answers
        self.payloadBytes = payloadBytes
        self.minAnswerTTL = minAnswerTTL
        self.edns = edns
        self.byteCount = byteCount
        self.trailingBytes = trailingBytes
    }

    public var id: UInt16 { header.id }
    public var flags: DNSFlags { header.flags }
    public var isResponse: Bool { header.flags.qr }
    public var questionCount: Int { Int(header.questionCount) }
    public var answerCount: Int { Int(header.answerCount) }
    public var authorityCount: Int { Int(header.authorityCount) }
    public var additionalCount: Int { Int(header.additionalCount) }

    /// The full RCODE: the header's 4 bits, plus the OPT record's upper 8 bits when there is one.
    public var rcode: UInt16 {
        let low = header.flags.headerRcode
        guard let edns else { return low }
        return UInt16(edns.extendedRcode) << 4 | low
    }

    /// Answer types in order (allocates: for building events, not for the hot path).
    public var answerTypes: [UInt16] { answers.map(\.type) }
    /// IN-class A/AAAA addresses in the answer section, in order (allocates).
    public var answerAddresses: [IPAddress] { answers.compactMap(\.address) }
}
