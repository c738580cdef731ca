import AirlockDNSWire
import AirlockEnforcement
import AirlockEvents

/// The query the proxy sends upstream, written anew from what it parsed of the client's: the
/// client's bytes never leave. A query is a question; anything else in it is room for data that the
/// upstream, and whoever answers for the zone, would receive (issue #11: letter case, EDNS options,
/// records, trailing bytes all reached the upstream unchanged).
///
/// What goes upstream, and why each part:
/// - **Header**: the ID the core draws; opcode QUERY; RD, CD and AD as the client set them (they
///   change the answer: recursion, DNSSEC checking, an AD bit in the answer that glibc's `trust-ad`
///   asks for); QDCOUNT 1, ARCOUNT 1 with EDNS; every other bit and count zero.
/// - **Question**: the name in lower case (names compare case-insensitively, RFC 4343; the client's
///   case is put back into the answer, as the cache does), type and class as asked.
/// - **OPT**, only when the client sent one (an answer may carry OPT only if its query did): version
///   0, DO as the client set it (it decides whether DNSSEC records come back), UDP payload size
///   ``udpPayloadSize`` whatever the client said (the core fits answers to the client's own size;
///   the client's 16 bits would otherwise travel with every query), and **no options**:
///   - COOKIE (10): a cookie belongs to one client–server pair (RFC 7873 §5); the proxy is the
///     client's server, and a client cookie is 8 bytes of the client's choosing per query.
///   - PADDING (12): it hides message sizes on encrypted transports only (RFC 7830 §4, RFC 8467);
///     the upstream link is cleartext UDP/TCP, so padding hides nothing there, and its bytes are the
///     client's (zeros by the RFC, anything in practice). Dropped rather than zeroed.
///   - EDNS-CLIENT-SUBNET (8): it would tell the upstream the sandbox's addresses, and its address
///     bytes are the client's choosing.
///   - NSID (3), TCP keepalive (11) and every other code: diagnostics of a server the sandbox does
///     not talk to, hop-by-hop options, or codes nobody defined.
///
/// EDNS versions above 0 are answered BADVERS by the core without forwarding, and queries carrying
/// records (answer, authority, additional other than OPT) get FORMERR, so neither reaches here.
enum UpstreamQueryWriter {
    /// The EDNS payload size every forwarded query advertises (the DNS Flag Day 2020 value).
    static let udpPayloadSize = DNSResponseBuilder.defaultUDPPayloadSize

    /// Header bits a query may carry upstream: RD, AD, CD (opcode and QR are zero for a query).
    static let forwardedHeaderBits: UInt16 = 0x0100 | 0x0020 | 0x0010
    /// Header bits a client query can set that are not forwarded: AA, TC, RA, Z and the RCODE.
    static let strippedHeaderBits: UInt16 = 0x0400 | 0x0200 | 0x0080 | 0x0040 | 0x000F

    /// The query to forward for `message` (ID zero: the core writes its own).
    static func query(_ message: DNSMessage, _ question: DNSQuestion) -> [UInt8] {
        DNSQueryBuilder.query(
            question: question, id: 0, flags: message.flags,
            ednsUDPPayloadSize: message.edns == nil ? nil : udpPayloadSize, dnssecOK: message.edns?.dnssecOK ?? false)
    }

    /// The question name's bytes as the client wrote them when they hold upper-case letters (to put
    /// back into the answer), nil when the lower-case form sent upstream is already the client's.
    static func clientCase(_ bytes: [UInt8], _ message: DNSMessage, _ stripped: QueryStripped) -> [UInt8]? {
        guard stripped.upperCaseLetters > 0, let range = message.questionRange else { return nil }
        return Array(bytes[range])
    }

    /// What ``query(_:_:)`` leaves out of the client's query `bytes`.
    static func stripped(_ bytes: [UInt8], _ message: DNSMessage) -> QueryStripped {
        var out = QueryStripped()
        if let range = message.questionRange {
            // Label length bytes are at most 63, below "A" (65): a flat scan counts letters only.
            for i in range.lowerBound..<(range.upperBound - 4) where bytes[i] >= 0x41 && bytes[i] <= 0x5A {
                out.upperCaseLetters += 1
            }
        }
        out.headerFlags = message.flags.rawValue & strippedHeaderBits
        out.trailingBytes = message.trailingBytes
        if let edns = message.edns {
            out.ednsFlags = UInt32(edns.extendedRcode) << 24 | UInt32(edns.flags & 0x7FFF)
            if !edns.optionCodes.isEmpty { options(bytes, into: &out) }
        }
        return out
    }

    /// Lists the OPT record's options and judges whether an ordinary client would have sent them.
    private static func options(_ bytes: [UInt8], into out: inout QueryStripped) {
        guard case .success(let records) = DNSWireReader.records(bytes.span),
            let opt = records.first(where: { $0.summary.type == DNSRecordType.opt })
        else { return }
        var pos = opt.rdataRange.lowerBound
        let end = opt.rdataRange.upperBound
        // The reader validated the option framing already.
        while pos + 4 <= end {
            let code = UInt16(bytes[pos]) << 8 | UInt16(bytes[pos + 1])
            let length = Int(UInt16(bytes[pos + 2]) << 8 | UInt16(bytes[pos + 3]))
            let data = (pos + 4)..<min(pos + 4 + length, end)
            out.ednsOptions.append(code)
            out.ednsOptionBytes += 4 + length
            if !isOrdinary(code: code, data: bytes[data]) { out.unusualOption = true }
            pos += 4 + length
        }
    }

    /// Whether option `code` with `data` is what stub resolvers and dig send.
    static func isOrdinary(code: UInt16, data: ArraySlice<UInt8>) -> Bool {
        switch code {
        case 3, 11:  // NSID, TCP keepalive: a query sends them empty (RFC 5001 §2.1, RFC 7828 §3.1).
            return data.isEmpty
        case 8:  // Client subnet: family, source and scope prefix, then just enough address bytes.
            guard data.count >= 4 else { return false }
            let base = data.startIndex
            let family = UInt16(data[base]) << 8 | UInt16(data[base + 1])
            let source = Int(data[base + 2])
            let maxPrefix = family == 1 ? 32 : family == 2 ? 128 : -1
            return source <= maxPrefix && data[base + 3] == 0 && data.count - 4 == (source + 7) / 8
        case 10:  // Cookie: 8 bytes of client cookie, optionally a server cookie of 8 to 32 (RFC 7873 §4).
            return data.count == 8 || (16...40).contains(data.count)
        case 12:  // Padding: zeros (RFC 7830 §4).
            return data.allSatisfy { $0 == 0 }
        default:
            return false
        }
    }
}
