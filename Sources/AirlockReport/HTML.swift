/// A small HTML builder: text is escaped at the one place it enters the page.
struct HTML {
    private(set) var text = ""

    init() { text.reserveCapacity(1 << 16) }

    /// Raw markup written by the report itself (never data).
    mutating func raw(_ markup: String) { text += markup }

    /// Data (names, addresses, file paths): `& < > " '` escaped.
    mutating func escaped(_ data: String) { text += HTML.escape(data) }

    /// `<tag attributes>escaped data</tag>`.
    mutating func element(_ tag: String, _ attributes: String = "", _ data: String) {
        text += "<\(tag)\(attributes.isEmpty ? "" : " " + attributes)>" + HTML.escape(data) + "</\(tag)>"
    }

    static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for c in s.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default:
                if c.value < 0x20 || c.value == 0x7F { out += "\\x" + String(c.value, radix: 16) } else { out.unicodeScalars.append(c) }
            }
        }
        return out
    }

    /// Numbers for SVG coordinates: one decimal.
    static func n(_ v: Double) -> String {
        let r = (v * 10).rounded() / 10
        return r == r.rounded() ? String(Int(r)) : String(r)
    }

    /// 1234567 → "1,234,567".
    static func count(_ v: Int) -> String {
        let digits = String(abs(v))
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out += "," }
            out.append(c)
        }
        return (v < 0 ? "-" : "") + out
    }

    /// Bytes as B / KB / MB.
    static func bytes(_ v: Double) -> String {
        if v < 1000 { return "\(Int(v.rounded())) B" }
        if v < 1_000_000 { return "\(n(v / 1000)) KB" }
        return "\(n(v / 1_000_000)) MB"
    }
}
