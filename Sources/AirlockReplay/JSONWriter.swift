/// A small streaming JSON writer: one object per call, keys in the order written.
///
/// Replay can emit a record per decision over millions of queries; building dictionaries and
/// going through `JSONEncoder` for each would cost more than the detection itself.
public struct JSONObjectWriter {
    public private(set) var text = "{"
    private var first = true

    public init() {}

    private mutating func key(_ k: String) {
        if !first { text += "," }
        first = false
        JSONObjectWriter.appendString(k, to: &text)
        text += ":"
    }

    public mutating func add(_ k: String, _ v: String) { key(k); JSONObjectWriter.appendString(v, to: &text) }
    public mutating func add(_ k: String, _ v: String?) {
        key(k)
        if let v { JSONObjectWriter.appendString(v, to: &text) } else { text += "null" }
    }
    public mutating func add(_ k: String, _ v: Int) { key(k); text += String(v) }
    public mutating func add(_ k: String, _ v: Bool) { key(k); text += v ? "true" : "false" }
    public mutating func add(_ k: String, _ v: Double) { key(k); text += JSONObjectWriter.number(v) }
    public mutating func add(_ k: String, strings: [String]) {
        key(k)
        text += "["
        for (i, s) in strings.enumerated() {
            if i > 0 { text += "," }
            JSONObjectWriter.appendString(s, to: &text)
        }
        text += "]"
    }
    /// Adds an already-serialised JSON value (object or array).
    public mutating func add(_ k: String, raw: String) { key(k); text += raw }

    /// The finished object.
    public func finish() -> String { text + "}" }

    /// Numbers with at most 4 decimals, integers without; non-finite values as null (JSON has none).
    public static func number(_ v: Double) -> String {
        guard v.isFinite else { return "null" }
        if v == v.rounded() && abs(v) < 1e15 { return String(Int64(v)) }
        return String((v * 10_000).rounded() / 10_000)
    }

    /// Appends `s` as a JSON string literal, escaping quotes, backslashes and control characters.
    public static func appendString(_ s: String, to out: inout String) {
        out += "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }

    /// A JSON array of already-serialised values.
    public static func array(_ items: [String]) -> String { "[" + items.joined(separator: ",") + "]" }
}
