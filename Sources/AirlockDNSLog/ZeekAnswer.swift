import AirlockDNSWire
import AirlockEvents

/// One answer-section record as Zeek's `dns.log` shows it: the text Zeek's DNS scripts give the record
/// (`base/protocols/dns/main.zeek`: an address, a target name, `TXT <len> <string>`, `<unknown type=N>`…)
/// and its TTL.
public struct ZeekAnswer: Hashable, Sendable {
    public var text: String
    public var ttl: UInt32

    public init(text: String, ttl: UInt32) {
        self.text = text
        self.ttl = ttl
    }
}

/// Renders a response's answer section the way Zeek does, from the message bytes.
///
/// Runs where the bytes still exist (replay's reader thread, the live capture loop); the engine path
/// keeps only ``DNSMessage``'s hot fields. Records of types Zeek has no reply text for are
/// `<unknown type=N>`, exactly as Zeek writes them; names inside RDATA are followed through
/// compression pointers with a hop bound, and bytes outside printable ASCII are written `\xNN`
/// (Zeek's log escaping), so every answer is one safe string.
public enum ZeekAnswerRenderer {
    /// The answers of `bytes` (a whole DNS message), nil when the message does not parse (the caller
    /// counted it as malformed already).
    public static func answers(_ bytes: Span<UInt8>) -> [ZeekAnswer]? {
        guard case .success(let records) = DNSWireReader.records(bytes) else { return nil }
        var out: [ZeekAnswer] = []
        for record in records where record.section == .answer {
            guard let text = render(bytes, record) else { continue }
            out.append(ZeekAnswer(text: text, ttl: record.summary.ttl))
        }
        return out
    }

    /// Zeek's reply text for one record; nil for types Zeek logs no answer for (WKS gives "", which
    /// Zeek's `do_reply` drops too).
    static func render(_ s: Span<UInt8>, _ record: DNSRecordInfo) -> String? {
        let r = record.rdataRange
        let type = record.summary.type
        switch type {
        case DNSRecordType.a, DNSRecordType.aaaa:
            if let address = record.summary.address { return address.description }
            return "<unknown type=\(type)>"
        case 2, 5, 12, 39:  // NS, CNAME, PTR, DNAME: a name
            return name(s, at: r.lowerBound) ?? "<unknown type=\(type)>"
        case 15:  // MX: preference, exchange
            return r.count >= 3 ? name(s, at: r.lowerBound + 2) : nil
        case 33:  // SRV: priority weight port, target
            return r.count >= 7 ? name(s, at: r.lowerBound + 6) : nil
        case 6:  // SOA: mname
            return name(s, at: r.lowerBound)
        case 16, 99:  // TXT, SPF: each character-string as "TXT <len> <text>"
            let tag = type == 16 ? "TXT" : "SPF"
            var parts: [String] = []
            var pos = r.lowerBound
            while pos < r.upperBound {
                let length = Int(s[pos])
                let end = min(pos + 1 + length, r.upperBound)
                parts.append("\(tag) \(end - pos - 1) " + escaped(s, (pos + 1)..<end))
                pos = end
            }
            return parts.joined(separator: " ")
        case 11:  // WKS: Zeek's reply text is empty, so no answer is logged
            return nil
        case 46:  // RRSIG: type covered, signer
            guard r.count >= 18 else { return nil }
            let covered = UInt16(s[r.lowerBound]) << 8 | UInt16(s[r.lowerBound + 1])
            let signer = name(s, at: r.lowerBound + 18) ?? ""
            return "RRSIG \(covered) " + (signer.isEmpty ? "<Root>" : signer)
        case 48:  // DNSKEY: algorithm
            return r.count >= 4 ? "DNSKEY \(s[r.lowerBound + 3])" : nil
        case 43:  // DS: algorithm, digest type
            return r.count >= 4 ? "DS \(s[r.lowerBound + 2]) \(s[r.lowerBound + 3])" : nil
        case 50: return "NSEC3"
        case 51: return "NSEC3PARAM"
        default:
            return "<unknown type=\(type)>"
        }
    }

    /// The name at `start`, labels joined by dots, with no trailing dot ("" for the root); nil when
    /// it runs out of bytes or loops.
    static func name(_ s: Span<UInt8>, at start: Int) -> String? {
        var pos = start
        var out = ""
        var hops = 0
        var total = 0
        while pos < s.count {
            let b = s[pos]
            if b == 0 { return out }
            if b & 0xC0 == 0xC0 {
                guard pos + 1 < s.count, hops < 127 else { return nil }
                hops += 1
                pos = Int(b & 0x3F) << 8 | Int(s[pos + 1])
                continue
            }
            guard b & 0xC0 == 0 else { return nil }
            let end = pos + 1 + Int(b)
            total += Int(b) + 1
            guard end <= s.count, total <= 255 else { return nil }
            if !out.isEmpty { out += "." }
            out += escaped(s, (pos + 1)..<end)
            pos = end
        }
        return nil
    }

    /// Printable ASCII as is, other bytes `\xNN`, as Zeek's log writers escape strings.
    static func escaped(_ s: Span<UInt8>, _ range: Range<Int>) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(range.count)
        for i in range { ZeekText.append(s[i], to: &bytes) }
        return String(decoding: bytes, as: UTF8.self)
    }
}
