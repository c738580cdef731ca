import AirlockDNSWire
import AirlockEvents
import Foundation

/// Small builders for hand-made messages: every malformed case is spelled out byte by byte.
enum Wire {
    static func u16(_ v: UInt16) -> [UInt8] { [UInt8(v >> 8), UInt8(v & 0xFF)] }
    static func u32(_ v: UInt32) -> [UInt8] {
        [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)]
    }

    static func header(
        id: UInt16 = 0x1234, flags: UInt16 = 0x0100, qd: UInt16 = 1, an: UInt16 = 0, ns: UInt16 = 0, ar: UInt16 = 0
    ) -> [UInt8] {
        u16(id) + u16(flags) + u16(qd) + u16(an) + u16(ns) + u16(ar)
    }

    /// `www.example.com` as uncompressed labels with the root byte; bytes kept as written (case too).
    static func name(_ text: String) -> [UInt8] {
        var out: [UInt8] = []
        if !text.isEmpty && text != "." {
            for label in text.split(separator: ".", omittingEmptySubsequences: false) {
                out.append(UInt8(label.utf8.count))
                out += Array(label.utf8)
            }
        }
        return out + [0]
    }

    static func pointer(_ offset: Int) -> [UInt8] { [0xC0 | UInt8(offset >> 8), UInt8(offset & 0xFF)] }

    static func question(_ owner: [UInt8], type: UInt16 = DNSRecordType.a, qclass: UInt16 = 1) -> [UInt8] {
        owner + u16(type) + u16(qclass)
    }

    static func rr(_ owner: [UInt8], type: UInt16, rclass: UInt16 = 1, ttl: UInt32 = 300, rdata: [UInt8]) -> [UInt8] {
        owner + u16(type) + u16(rclass) + u32(ttl) + u16(UInt16(rdata.count)) + rdata
    }

    /// OPT pseudo-record: root owner, CLASS = UDP size, TTL = ext rcode | version | flags.
    static func opt(
        udp: UInt16 = 1232, extendedRcode: UInt8 = 0, version: UInt8 = 0, flags: UInt16 = 0,
        options: [(UInt16, [UInt8])] = []
    ) -> [UInt8] {
        var rdata: [UInt8] = []
        for (code, data) in options { rdata += u16(code) + u16(UInt16(data.count)) + data }
        let ttl = UInt32(extendedRcode) << 24 | UInt32(version) << 16 | UInt32(flags)
        return rr([0], type: DNSRecordType.opt, rclass: udp, ttl: ttl, rdata: rdata)
    }

    static func parse(_ bytes: [UInt8]) -> Result<DNSMessage, DNSParseError> {
        DNSWireReader.parse(bytes.span)
    }

    static func parsed(_ bytes: [UInt8]) -> DNSMessage? {
        try? parse(bytes).get()
    }

    static func reason(_ bytes: [UInt8]) -> String? {
        if case .failure(let error) = parse(bytes) { return error.reason }
        return nil
    }

    static func hex(_ text: Substring) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count / 2)
        var high: UInt8?
        for c in text.utf8 {
            let v: UInt8
            switch c {
            case 0x30...0x39: v = c - 0x30
            case 0x61...0x66: v = c - 0x61 + 10
            case 0x41...0x46: v = c - 0x41 + 10
            default: return nil
            }
            if let h = high {
                out.append(h << 4 | v)
                high = nil
            } else {
                high = v
            }
        }
        return high == nil ? out : nil
    }

    /// The committed corpus: (capture, message) pairs from Fixtures/dns-corpus.hex.
    static func corpus() throws -> [(source: String, bytes: [UInt8])] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/dns-corpus.hex")
        let text = try String(contentsOf: url, encoding: .utf8)
        var source = ""
        var out: [(String, [UInt8])] = []
        for line in text.split(separator: "\n") {
            if line.hasPrefix("#") {
                source = String(line.dropFirst(2).split(separator: ":").first ?? "")
            } else if let bytes = hex(line) {
                out.append((source, bytes))
            }
        }
        return out
    }
}
