import AirlockEvents

/// One question: what a client asked for.
public struct DNSQuestion: Hashable, Sendable {
    /// Lower-cased; ``DNSName/hadMixedCase`` tells whether the wire had 0x20 mixed case.
    public var name: DNSName
    public var type: UInt16
    public var qclass: UInt16

    @inlinable public init(name: DNSName, type: UInt16, qclass: UInt16) {
        self.name = name
        self.type = type
        self.qclass = qclass
    }

    /// What a message without a question keeps in its ``StoredOptional`` (the root name: no storage).
    @usableFromInline static var absent: DNSQuestion {
        DNSQuestion(name: DNSName(validatedWire: [], hadMixedCase: false), type: 0, qclass: 0)
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
/// Each inline record is kept as its fields packed in integers (~28 bytes a record, ~0.1 KB in all),
/// not as a ``DNSRecordSummary`` (40 bytes with its optional address): a message is copied several
/// times on its way from the parser to an event, and each copy moves the whole inline storage.
public struct DNSAnswerSummary: RandomAccessCollection, Hashable, Sendable {
    public static let inlineCapacity = 4

    /// Per inline record: type << 48 | class << 32 | TTL; RDLENGTH; the address bits (an IPv4
    /// address in the low half's low 32 bits).
    private var fields = InlineArray<4, UInt64>(repeating: 0)
    private var lengths = InlineArray<4, UInt16>(repeating: 0)
    private var high = InlineArray<4, UInt64>(repeating: 0)
    private var low = InlineArray<4, UInt64>(repeating: 0)
    /// Two bits per inline record: 0 no address, 1 IPv4, 2 IPv6.
    private var addressKinds: UInt8 = 0
    private var stored: UInt8 = 0
    private var overflow: [DNSRecordSummary] = []

    public init() {}

    public var startIndex: Int { 0 }
    public var endIndex: Int { Int(stored) + overflow.count }
    public var count: Int { Int(stored) + overflow.count }
    public subscript(position: Int) -> DNSRecordSummary {
        precondition(position >= 0 && position < endIndex, "answer index out of range")
        guard position < Int(stored) else { return overflow[position - Int(stored)] }
        let packed = fields[position]
        return DNSRecordSummary(
            type: UInt16(truncatingIfNeeded: packed >> 48), rclass: UInt16(truncatingIfNeeded: packed >> 32),
            ttl: UInt32(truncatingIfNeeded: packed), rdataLength: lengths[position], address: address(at: position))
    }

    /// The address of inline record `position`, if it has one.
    private func address(at position: Int) -> IPAddress? {
        switch (addressKinds >> (2 * position)) & 3 {
        case 1: return .v4(UInt32(truncatingIfNeeded: low[position]))
        case 2: return .v6(high: high[position], low: low[position])
        default: return nil
        }
    }

    public mutating func append(_ record: DNSRecordSummary) {
        guard Int(stored) < DNSAnswerSummary.inlineCapacity else {
            overflow.append(record)
            return
        }
        let position = Int(stored)
        fields[position] = UInt64(record.type) << 48 | UInt64(record.rclass) << 32 | UInt64(record.ttl)
        lengths[position] = record.rdataLength
        switch record.address {
        case .v4(let address)?:
            low[position] = UInt64(address)
            addressKinds |= 1 << (2 * position)
        case .v6(let h, let l)?:
            high[position] = h
            low[position] = l
            addressKinds |= 2 << (2 * position)
        case nil:
            break
        }
        stored += 1
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
    public var question: DNSQuestion? {
        @inlinable get { storedQuestion.optional }
        @inlinable set { storedQuestion = StoredOptional(newValue, absent: .absent) }
    }
    /// The question without an `Optional` (``StoredOptional``: an optional here made every message
    /// built twice and copied).
    @usableFromInline package var storedQuestion: StoredOptional<DNSQuestion>
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
    public var edns: EDNSInfo? {
        @inlinable get { storedEDNS.optional }
        @inlinable set { storedEDNS = StoredOptional(newValue, absent: EDNSInfo(udpPayloadSize: 0)) }
    }
    @usableFromInline package var storedEDNS: StoredOptional<EDNSInfo>
    /// Bytes the message occupies: header through the last record.
    public var byteCount: Int
    /// Bytes after the last record (allowed, counted: a fingerprint of some tools).
    public var trailingBytes: Int

    public init(
        header: DNSHeader, question: DNSQuestion?, questionRange: Range<Int>?, answers: DNSAnswerSummary,
        payloadBytes: Int, minAnswerTTL: UInt32?, edns: EDNSInfo?, byteCount: Int, trailingBytes: Int
    ) {
        self.header = header
        storedQuestion = StoredOptional(question, absent: .absent)
        self.questionRange = questionRange
        self.answers = answers
        self.payloadBytes = payloadBytes
        self.minAnswerTTL = minAnswerTTL
        storedEDNS = StoredOptional(edns, absent: EDNSInfo(udpPayloadSize: 0))
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

    /// Answer types in order, as an event holds them (inline: no allocation for up to four).
    public var eventAnswerTypes: DNSAnswerTypes {
        var types = DNSAnswerTypes()
        for i in 0..<answers.count { types.append(answers[i].type) }
        return types
    }
    /// IN-class A/AAAA addresses in the answer section, as an event holds them (inline: no
    /// allocation for up to two).
    public var eventAnswerAddresses: DNSAnswerAddresses {
        var addresses = DNSAnswerAddresses()
        for i in 0..<answers.count {
            if let address = answers[i].address { addresses.append(address) }
        }
        return addresses
    }

    /// Answer types in order (allocates: for building events, not for the hot path).
    public var answerTypes: [UInt16] {
        // Indexed in place: `map` would copy the answers (inline, ~0.3 KB) into its iterator first.
        let count = answers.count
        guard count > 0 else { return [] }
        var types: [UInt16] = []
        types.reserveCapacity(count)
        for i in 0..<count { types.append(answers[i].type) }
        return types
    }
    /// IN-class A/AAAA addresses in the answer section, in order (allocates when there are any).
    public var answerAddresses: [IPAddress] {
        var addresses: [IPAddress] = []
        for i in 0..<answers.count {
            if let address = answers[i].address { addresses.append(address) }
        }
        return addresses
    }
}
