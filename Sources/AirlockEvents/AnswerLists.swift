/// A response's answer types, in order: the first ``inlineCapacity`` inline, any more in an array.
///
/// Inline so that making a response event allocates nothing for them (nearly every response has a
/// few answers, and replay makes one event per response); the collection is always complete.
public struct DNSAnswerTypes: RandomAccessCollection, ExpressibleByArrayLiteral, Hashable, Sendable {
    public static let inlineCapacity = 4

    private var storage = InlineArray<4, UInt16>(repeating: 0)
    private var stored: UInt8 = 0
    private var overflow: [UInt16] = []

    public init() {}

    public init(_ types: some Sequence<UInt16>) {
        for type in types { append(type) }
    }

    public init(arrayLiteral types: UInt16...) { self.init(types) }

    public var startIndex: Int { 0 }
    public var endIndex: Int { Int(stored) + overflow.count }
    public var count: Int { Int(stored) + overflow.count }

    public subscript(position: Int) -> UInt16 {
        precondition(position >= 0 && position < endIndex, "answer type index out of range")
        return position < Int(stored) ? storage[position] : overflow[position - Int(stored)]
    }

    public mutating func append(_ type: UInt16) {
        if Int(stored) < Self.inlineCapacity {
            storage[Int(stored)] = type
            stored += 1
        } else {
            overflow.append(type)
        }
    }

    public static func == (lhs: DNSAnswerTypes, rhs: DNSAnswerTypes) -> Bool {
        lhs.count == rhs.count && lhs.elementsEqual(rhs)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(count)
        for type in self { hasher.combine(type) }
    }
}

/// A response's A and AAAA addresses, in order: the first ``inlineCapacity`` inline (as their bits),
/// any more in an array.
public struct DNSAnswerAddresses: RandomAccessCollection, ExpressibleByArrayLiteral, Hashable, Sendable {
    public static let inlineCapacity = 2

    /// Per inline address: the IPv6 halves, or an IPv4 address in `low`; `kinds` holds a bit per
    /// address, set for IPv6.
    private var high = InlineArray<2, UInt64>(repeating: 0)
    private var low = InlineArray<2, UInt64>(repeating: 0)
    private var kinds: UInt8 = 0
    private var stored: UInt8 = 0
    private var overflow: [IPAddress] = []

    public init() {}

    public init(_ addresses: some Sequence<IPAddress>) {
        for address in addresses { append(address) }
    }

    public init(arrayLiteral addresses: IPAddress...) { self.init(addresses) }

    public var startIndex: Int { 0 }
    public var endIndex: Int { Int(stored) + overflow.count }
    public var count: Int { Int(stored) + overflow.count }

    public subscript(position: Int) -> IPAddress {
        precondition(position >= 0 && position < endIndex, "answer address index out of range")
        guard position < Int(stored) else { return overflow[position - Int(stored)] }
        return kinds >> position & 1 != 0
            ? .v6(high: high[position], low: low[position]) : .v4(UInt32(truncatingIfNeeded: low[position]))
    }

    public mutating func append(_ address: IPAddress) {
        guard Int(stored) < Self.inlineCapacity else {
            overflow.append(address)
            return
        }
        let position = Int(stored)
        switch address {
        case .v4(let v): low[position] = UInt64(v)
        case .v6(let h, let l):
            high[position] = h
            low[position] = l
            kinds |= 1 << position
        }
        stored += 1
    }

    public static func == (lhs: DNSAnswerAddresses, rhs: DNSAnswerAddresses) -> Bool {
        lhs.count == rhs.count && lhs.elementsEqual(rhs)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(count)
        for address in self { hasher.combine(address) }
    }
}
