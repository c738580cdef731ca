/// An Extended DNS Error (RFC 8914): an EDNS option (code 15) in a response that says why an answer
/// is what it is. Airlock puts one on every answer it blocks, so `dig` and `kdig` show a block is a
/// policy decision and name the rule, not a real NXDOMAIN or REFUSED from the zone.
///
/// Option layout (RFC 8914 §2): OPTION-CODE 15, OPTION-LENGTH, INFO-CODE (16 bits), EXTRA-TEXT
/// (UTF-8, not NUL-terminated). It needs an OPT record, so only a query that carried EDNS gets one
/// (RFC 6891 §7: no OPT in a response to a query without one).
public struct ExtendedDNSError: Sendable, Equatable {
    /// EDNS option code 15 (RFC 8914 §2).
    public static let optionCode: UInt16 = 15
    /// Longest EXTRA-TEXT sent, in bytes: with a 255-byte question, header and OPT the answer
    /// stays within 512 bytes, the smallest buffer an EDNS client may offer.
    public static let maxExtraTextBytes = 200

    /// INFO-CODE 15 Blocked: "the domain is on a blocklist due to an internal security policy".
    public static let blocked: UInt16 = 15
    /// INFO-CODE 17 Filtered: "the domain is on a blocklist as requested by the client", and an
    /// answer that was filtered out.
    public static let filtered: UInt16 = 17
    /// INFO-CODE 18 Prohibited: the client is not authorised for this query.
    public static let prohibited: UInt16 = 18

    public var infoCode: UInt16
    /// The EXTRA-TEXT, at most ``maxExtraTextBytes`` bytes of UTF-8 (cut at a character boundary).
    public var extraText: String

    public init(infoCode: UInt16, extraText: String) {
        self.infoCode = infoCode
        var text = extraText
        while text.utf8.count > Self.maxExtraTextBytes { text.removeLast() }
        self.extraText = text
    }

    /// The option as it goes in the OPT record's RDATA.
    public var optionBytes: [UInt8] {
        let text = Array(extraText.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(6 + text.count)
        DNSWireWriter.append(Self.optionCode, to: &out)
        DNSWireWriter.append(UInt16(2 + text.count), to: &out)
        DNSWireWriter.append(infoCode, to: &out)
        out += text
        return out
    }

    /// The Extended DNS Errors in a response's OPT record, for tests and tools (nil when the bytes
    /// are not a readable message with an OPT record).
    public static func read(from response: [UInt8]) -> [ExtendedDNSError]? {
        guard case .success(let message) = DNSWireReader.parse(response.span), message.edns != nil else { return nil }
        // Walk to the additional section: every record before it is skipped by its RDLENGTH.
        var offset = DNSHeader.byteCount
        func skipName() -> Bool {
            while offset < response.count {
                let length = Int(response[offset])
                if length & 0xC0 == 0xC0 { offset += 2; return true }
                offset += 1 + length
                if length == 0 { return true }
            }
            return false
        }
        for _ in 0..<Int(message.header.questionCount) {
            guard skipName() else { return nil }
            offset += 4
        }
        let records = Int(message.header.answerCount) + Int(message.header.authorityCount)
            + Int(message.header.additionalCount)
        for _ in 0..<records {
            guard skipName(), offset + 10 <= response.count else { return nil }
            let type = UInt16(response[offset]) << 8 | UInt16(response[offset + 1])
            let length = Int(UInt16(response[offset + 8]) << 8 | UInt16(response[offset + 9]))
            offset += 10
            guard offset + length <= response.count else { return nil }
            if type == 41 {
                var errors: [ExtendedDNSError] = []
                var o = offset
                while o + 4 <= offset + length {
                    let code = UInt16(response[o]) << 8 | UInt16(response[o + 1])
                    let size = Int(UInt16(response[o + 2]) << 8 | UInt16(response[o + 3]))
                    o += 4
                    guard o + size <= offset + length else { return nil }
                    if code == optionCode, size >= 2 {
                        let info = UInt16(response[o]) << 8 | UInt16(response[o + 1])
                        errors.append(
                            ExtendedDNSError(
                                infoCode: info, extraText: String(decoding: response[(o + 2)..<(o + size)], as: UTF8.self)))
                    }
                    o += size
                }
                return errors
            }
            offset += length
        }
        return nil
    }
}
