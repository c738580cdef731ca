/// What the proxy removed from a client's query before any upstream could see it: every part of a
/// query a client can fill with data besides the name it asks for.
///
/// The proxy never forwards the client's bytes: it writes a new query (AirlockDNSProxy's `UpstreamQueryWriter`) from
/// the header bits that change an answer, the one question in lower case, and a clean OPT record.
/// This value says what that left behind, for the decision record (`"stripped"`) and the counters.
public struct QueryStripped: Sendable, Hashable {
    /// Upper-case letters in the question name, forwarded in lower case: the 0x20 bits a client can
    /// set at will (about one bit per letter), which no stub resolver randomises.
    public var upperCaseLetters = 0
    /// Codes of the EDNS options removed, in wire order (no option is forwarded).
    public var ednsOptions: [UInt16] = []
    /// Bytes those options took (code, length and data).
    public var ednsOptionBytes = 0
    /// An option no ordinary client sends, or one an ordinary client would not fill this way:
    /// an unknown code, padding that is not zeros, a cookie of a length RFC 7873 does not allow.
    public var unusualOption = false
    /// Header flag bits set by the client and not forwarded (AA, TC, RA, Z and the RCODE of a query).
    public var headerFlags: UInt16 = 0
    /// OPT TTL bits set by the client and not forwarded (extended RCODE and flags other than DO).
    public var ednsFlags: UInt32 = 0
    /// Bytes after the last record of the message.
    public var trailingBytes = 0

    public init() {}

    /// Nothing was removed.
    public var isEmpty: Bool {
        upperCaseLetters == 0 && ednsOptions.isEmpty && headerFlags == 0 && ednsFlags == 0 && trailingBytes == 0
    }

    /// Something only a tool that hides data would send: trailing bytes, odd flag bits, an unusual
    /// option. Upper case alone is not (a resolver behind Airlock randomises it), nor cookies,
    /// padding of zeros, NSID or client-subnet requests (dig and stub resolvers send them).
    public var isUnusual: Bool { trailingBytes > 0 || headerFlags != 0 || ednsFlags != 0 || unusualOption }
}
