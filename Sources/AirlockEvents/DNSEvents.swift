/// DNS record types the detection cares about by name. Others are kept as their number.
public enum DNSRecordType {
    public static let a: UInt16 = 1
    public static let ns: UInt16 = 2
    public static let cname: UInt16 = 5
    public static let soa: UInt16 = 6
    public static let null: UInt16 = 10
    public static let ptr: UInt16 = 12
    public static let mx: UInt16 = 15
    public static let txt: UInt16 = 16
    public static let aaaa: UInt16 = 28
    public static let srv: UInt16 = 33
    public static let opt: UInt16 = 41
    public static let ds: UInt16 = 43
    public static let rrsig: UInt16 = 46
    public static let dnskey: UInt16 = 48
    public static let svcb: UInt16 = 64
    public static let https: UInt16 = 65
    public static let any: UInt16 = 255

    /// The registry mnemonic (``mnemonics``), `PRIVATE<n>` for the private-use range 65280–65534,
    /// `TYPE<n>` otherwise (RFC 3597).
    public static func name(_ type: UInt16) -> String {
        if let mnemonic = mnemonics[type] { return mnemonic }
        if (65280...65534).contains(type) { return "PRIVATE\(type)" }
        return "TYPE\(type)"
    }
}

/// Who sent a query, as far as the boundary can tell: the sandbox's trusted identity.
public struct SandboxID: Hashable, Sendable, CustomStringConvertible {
    public var name: String
    @inlinable public init(_ name: String) { self.name = name }
    public var description: String { name }
}

/// How queries are grouped for the per-domain state: the registered domain when there is one.
public struct DomainKey: Hashable, Sendable, CustomStringConvertible {
    public enum Kind: String, Hashable, Sendable {
        /// eTLD+1 from the Public Suffix List, e.g. `example.co.uk`.
        case registeredDomain = "registered-domain"
        /// The TLD is not a known public suffix but looks like one (`pirate.sea`): last two labels.
        case unlistedSuffix = "unlisted-suffix"
        /// The name is a public suffix itself or shorter (`com`, `localhost`): the whole name.
        case suffixOnly = "suffix-only"
        /// No usable suffix at all (random last label, e.g. dnscat2 sent straight to its server):
        /// grouped by the server the queries were sent to.
        case serverAddress = "server-address"
    }

    /// The grouping value: a lower-case domain without trailing dot, or a server address.
    public var value: String { didSet { code = Self.code(value, kind, storedLabelCount) } }
    public var kind: Kind { didSet { code = Self.code(value, kind, storedLabelCount) } }
    /// How many rightmost labels of the query name the key covers (0 for ``Kind/serverAddress``).
    public var labelCount: Int {
        get { Int(storedLabelCount) }
        set {
            storedLabelCount = UInt16(clamping: newValue)
            code = Self.code(value, kind, storedLabelCount)
        }
    }
    /// A name has at most 127 labels; 16 bits keep the key at 24 bytes (it is part of every
    /// per-domain entry: see MemoryBudgetTests).
    private var storedLabelCount: UInt16
    /// FNV-1a of the three fields, worked out once: the engine's tables hash a query's key several
    /// times (per-client state, popularity, convictions), and hashing the string each time was a
    /// measurable share of replay.
    private var code: UInt32

    public init(value: String, kind: Kind, labelCount: Int) {
        self.value = value
        self.kind = kind
        self.storedLabelCount = UInt16(clamping: labelCount)
        code = Self.code(value, kind, storedLabelCount)
    }

    public var description: String { value }

    public static func == (lhs: DomainKey, rhs: DomainKey) -> Bool {
        lhs.code == rhs.code && lhs.storedLabelCount == rhs.storedLabelCount && lhs.kind == rhs.kind
            && lhs.value == rhs.value
    }

    public func hash(into hasher: inout Hasher) { hasher.combine(code) }

    /// The stored code mixed with the table's seed by MurmurHash3's finaliser, without a SipHash round
    /// (Hashable's customisation point for it: the engine's tables look a domain up for every query).
    public func _rawHashValue(seed: Int) -> Int {
        var h = UInt64(code) ^ (UInt64(bitPattern: Int64(seed)) &* 0x9E37_79B9_7F4A_7C15)
        h ^= h >> 33
        h &*= 0xFF51_AFD7_ED55_8CCD
        h ^= h >> 33
        h &*= 0xC4CE_B9FE_1A85_EC53
        h ^= h >> 33
        return Int(truncatingIfNeeded: h)
    }

    /// The stored hash code, for keys that fold it with other fields into one combine.
    package var hashCode: UInt32 { code }

    private static func code(_ value: String, _ kind: Kind, _ labelCount: UInt16) -> UInt32 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in value.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        hash = (hash ^ UInt64(truncatingIfNeeded: labelCount)) &* 0x100_0000_01b3
        let kindCode: UInt64 =
            switch kind {
            case .registeredDomain: 1
            case .unlistedSuffix: 2
            case .suffixOnly: 3
            case .serverAddress: 4
            }
        hash = (hash ^ kindCode) &* 0x100_0000_01b3
        return UInt32(truncatingIfNeeded: hash ^ (hash >> 32))
    }
}

/// One DNS question seen leaving a sandbox: the engine's input for lexical and per-domain features.
public struct DNSQueryEvent: Sendable {
    public var time: Timestamp
    public var client: Endpoint
    public var server: Endpoint
    public var transport: Transport
    public var id: UInt16
    public var name: DNSName
    public var qtype: UInt16
    /// The group this name's per-domain state lives in.
    public var domain: DomainKey
    public var sandbox: SandboxID? {
        @inlinable get { storedSandbox.optional }
        @inlinable set { storedSandbox = StoredOptional(newValue, absent: SandboxID("")) }
    }
    /// The sandbox without an `Optional` (``StoredOptional``).
    @usableFromInline package var storedSandbox: StoredOptional<SandboxID>
    /// RD: set by stub resolvers (a client asking for itself), clear in the iterative queries a
    /// recursive resolver sends to authoritative servers on behalf of clients it does not show.
    public var recursionDesired: Bool

    public init(
        time: Timestamp, client: Endpoint, server: Endpoint, transport: Transport, id: UInt16,
        name: DNSName, qtype: UInt16, domain: DomainKey, sandbox: SandboxID? = nil, recursionDesired: Bool = true
    ) {
        self.time = time
        self.client = client
        self.server = server
        self.transport = transport
        self.id = id
        self.name = name
        self.qtype = qtype
        self.domain = domain
        self.storedSandbox = StoredOptional(sandbox, absent: SandboxID(""))
        self.recursionDesired = recursionDesired
    }
}

/// A response paired with its query: what came back down the channel.
public struct DNSResponseEvent: Sendable {
    public var time: Timestamp
    public var client: Endpoint
    public var server: Endpoint
    public var transport: Transport
    public var id: UInt16
    public var name: DNSName
    public var qtype: UInt16
    public var domain: DomainKey
    public var sandbox: SandboxID? {
        @inlinable get { storedSandbox.optional }
        @inlinable set { storedSandbox = StoredOptional(newValue, absent: SandboxID("")) }
    }
    /// The sandbox without an `Optional` (``StoredOptional``).
    @usableFromInline package var storedSandbox: StoredOptional<SandboxID>
    /// RCODE (with the EDNS extended bits when present).
    public var rcode: UInt16
    /// Answer-section record types, in order.
    public var answerTypes: DNSAnswerTypes
    /// Sum of RDATA lengths across answer, authority and additional sections (OPT excluded): the
    /// downstream channel a tunnel uses (TXT, NULL, CNAME payloads).
    public var payloadBytes: Int
    /// A and AAAA addresses in the answer section (for rebinding checks).
    public var addresses: DNSAnswerAddresses
    /// Smallest TTL in the answer section, if any.
    public var minTTL: UInt32?
    /// TC bit: the client should retry over TCP.
    public var truncated: Bool
    /// RD as the response carries it (copied from the query, RFC 1035 §4.1.1).
    public var recursionDesired: Bool

    public init(
        time: Timestamp, client: Endpoint, server: Endpoint, transport: Transport, id: UInt16, name: DNSName,
        qtype: UInt16, domain: DomainKey, sandbox: SandboxID? = nil, rcode: UInt16, answerTypes: DNSAnswerTypes,
        payloadBytes: Int, addresses: DNSAnswerAddresses, minTTL: UInt32?, truncated: Bool, recursionDesired: Bool = true
    ) {
        self.time = time
        self.client = client
        self.server = server
        self.transport = transport
        self.id = id
        self.name = name
        self.qtype = qtype
        self.domain = domain
        self.storedSandbox = StoredOptional(sandbox, absent: SandboxID(""))
        self.rcode = rcode
        self.answerTypes = answerTypes
        self.payloadBytes = payloadBytes
        self.addresses = addresses
        self.minTTL = minTTL
        self.truncated = truncated
        self.recursionDesired = recursionDesired
    }
}

/// DNS response codes used by name.
public enum DNSResponseCode {
    public static let noError: UInt16 = 0
    public static let formErr: UInt16 = 1
    public static let servFail: UInt16 = 2
    public static let nxDomain: UInt16 = 3
    public static let notImp: UInt16 = 4
    public static let refused: UInt16 = 5
}
