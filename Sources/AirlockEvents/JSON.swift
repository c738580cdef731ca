/// The one JSON string escaper and number formatter: the decision logs, replay's reports, the
/// Zeek-style dns.log and the alert records all write strings and numbers with these rules, so the
/// same value reads the same wherever Airlock prints it.
///
/// Strings: `"` and `\` escaped, `\n` `\r` `\t` in their short forms, every other control character,
/// DEL and the line/paragraph separators U+2028/U+2029 (which end a line for some readers) as `\uXXXX`.
/// Numbers: whole numbers (also those the rounding makes whole) without a fraction, others with at
/// most `decimals` decimals (4 by default), non-finite values as `null` (JSON has none).
public enum JSON {
    /// Appends `s` as a JSON string literal (quotes included) to UTF-8 bytes. Plain ASCII, the
    /// common case on the packet path, is copied as it is.
    public static func appendString(_ s: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        if isPlain(s) {
            out.append(contentsOf: s.utf8)
        } else {
            for scalar in s.unicodeScalars { append(scalar, to: &out) }
        }
        out.append(UInt8(ascii: "\""))
    }

    /// Appends `s` as a JSON string literal to a `String`.
    public static func appendString(_ s: String, to out: inout String) {
        if isPlain(s) {
            // Plain ASCII, nearly every alert field: appended as it is, without a byte buffer and a
            // second String per value.
            out += "\""
            out += s
            out += "\""
        } else {
            out += string(s)
        }
    }

    /// Printable ASCII without `"` or `\`: written as it is, no escaping needed.
    private static func isPlain(_ s: String) -> Bool {
        s.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") }
    }

    /// `s` as a JSON string literal.
    public static func string(_ s: String) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(s.utf8.count + 2)
        appendString(s, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// `v` as a JSON number: `3`, `0.1235`, `null`.
    public static func number(_ v: Double, decimals: Int = 4) -> String {
        guard v.isFinite else { return "null" }
        if v == v.rounded() && abs(v) < 1e15 { return String(Int64(v)) }
        var scale = 1.0
        for _ in 0..<max(decimals, 0) { scale *= 10 }
        let rounded = (v * scale).rounded() / scale
        if rounded == rounded.rounded() && abs(rounded) < 1e15 { return String(Int64(rounded)) }
        return String(rounded)
    }

    private static func append(_ scalar: Unicode.Scalar, to out: inout [UInt8]) {
        switch scalar {
        case "\"": out.append(contentsOf: [0x5C, 0x22])
        case "\\": out.append(contentsOf: [0x5C, 0x5C])
        case "\n": out.append(contentsOf: [0x5C, UInt8(ascii: "n")])
        case "\r": out.append(contentsOf: [0x5C, UInt8(ascii: "r")])
        case "\t": out.append(contentsOf: [0x5C, UInt8(ascii: "t")])
        case _ where scalar.value < 0x20 || scalar.value == 0x7F || scalar.value == 0x2028 || scalar.value == 0x2029:
            let hex = Array("0123456789abcdef".utf8)
            out.append(contentsOf: [0x5C, UInt8(ascii: "u")])
            for shift in [12, 8, 4, 0] { out.append(hex[Int(scalar.value >> UInt32(shift)) & 0xF]) }
        default:
            out.append(contentsOf: String(scalar).utf8)
        }
    }
}
