/// Standard base64 (RFC 4648 §4) for `Proxy-Authorization: Basic`. Decoding is strict: padding
/// required, no whitespace, no other alphabet.
enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    private static let values: [Int8] = {
        var table = [Int8](repeating: -1, count: 256)
        for (i, c) in alphabet.enumerated() { table[Int(c)] = Int8(i) }
        return table
    }()

    static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var i = 0
        while i < bytes.count {
            let b0 = UInt32(bytes[i])
            let b1 = i + 1 < bytes.count ? UInt32(bytes[i + 1]) : 0
            let b2 = i + 2 < bytes.count ? UInt32(bytes[i + 2]) : 0
            let v = b0 << 16 | b1 << 8 | b2
            out.append(alphabet[Int(v >> 18 & 63)])
            out.append(alphabet[Int(v >> 12 & 63)])
            out.append(i + 1 < bytes.count ? alphabet[Int(v >> 6 & 63)] : UInt8(ascii: "="))
            out.append(i + 2 < bytes.count ? alphabet[Int(v & 63)] : UInt8(ascii: "="))
            i += 3
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func decode(_ text: String) -> [UInt8]? {
        let input = Array(text.utf8)
        guard input.count % 4 == 0, input.count <= 4096 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(input.count / 4 * 3)
        var i = 0
        while i < input.count {
            let last = i + 4 == input.count
            var v: UInt32 = 0
            var padding = 0
            for k in 0..<4 {
                let c = input[i + k]
                if c == UInt8(ascii: "=") {
                    // Padding only at the end, in the last one or two places.
                    guard last, k >= 2 else { return nil }
                    padding += 1
                    v <<= 6
                    continue
                }
                guard padding == 0 else { return nil }
                let d = values[Int(c)]
                guard d >= 0 else { return nil }
                v = v << 6 | UInt32(d)
            }
            out.append(UInt8(truncatingIfNeeded: v >> 16))
            if padding < 2 { out.append(UInt8(truncatingIfNeeded: v >> 8)) }
            if padding < 1 { out.append(UInt8(truncatingIfNeeded: v)) }
            i += 4
        }
        return out
    }
}
