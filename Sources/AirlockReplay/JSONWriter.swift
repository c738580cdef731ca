import AirlockEvents

/// A small streaming JSON writer: one object per call, keys in the order written; strings and numbers
/// as ``JSON`` writes them.
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
        JSON.appendString(k, to: &text)
        text += ":"
    }

    public mutating func add(_ k: String, _ v: String) { key(k); JSON.appendString(v, to: &text) }
    public mutating func add(_ k: String, _ v: String?) {
        key(k)
        if let v { JSON.appendString(v, to: &text) } else { text += "null" }
    }
    public mutating func add(_ k: String, _ v: Int) { key(k); text += String(v) }
    public mutating func add(_ k: String, _ v: Bool) { key(k); text += v ? "true" : "false" }
    public mutating func add(_ k: String, _ v: Double) { key(k); text += JSON.number(v) }
    public mutating func add(_ k: String, strings: [String]) {
        key(k)
        text += "["
        for (i, s) in strings.enumerated() {
            if i > 0 { text += "," }
            JSON.appendString(s, to: &text)
        }
        text += "]"
    }
    /// Adds an already-serialised JSON value (object or array).
    public mutating func add(_ k: String, raw: String) { key(k); text += raw }

    /// The finished object.
    public func finish() -> String { text + "}" }

    /// A JSON array of already-serialised values.
    public static func array(_ items: [String]) -> String { "[" + items.joined(separator: ",") + "]" }
}
