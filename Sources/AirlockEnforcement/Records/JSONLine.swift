/// Appends one JSON object to a byte buffer, keys in the order written.
///
/// The proxy formats a batch of decisions straight into the output buffer it then writes with one
/// system call, so nothing builds an intermediate string per field.
package struct JSONLine {
    private(set) var bytes: [UInt8]
    private var needsComma = false

    package init(into buffer: [UInt8]) {
        bytes = buffer
        bytes.append(UInt8(ascii: "{"))
    }

    /// Closes the object and the line; returns the buffer.
    package consuming func finish() -> [UInt8] {
        bytes.append(UInt8(ascii: "}"))
        bytes.append(UInt8(ascii: "\n"))
        return bytes
    }

    /// Keys are the formats' own literals: plain ASCII, never escaped.
    private mutating func key(_ key: String) {
        if needsComma { bytes.append(UInt8(ascii: ",")) }
        needsComma = true
        bytes.append(UInt8(ascii: "\""))
        bytes.append(contentsOf: key.utf8)
        bytes.append(UInt8(ascii: "\""))
        bytes.append(UInt8(ascii: ":"))
    }

    package mutating func add(_ name: String, _ value: String?) {
        key(name)
        guard let value else { return appendNull() }
        Self.appendString(value, to: &bytes)
    }

    package mutating func add(_ name: String, _ value: Int?) {
        key(name)
        guard let value else { return appendNull() }
        bytes.append(contentsOf: String(value).utf8)
    }

    package mutating func add(_ name: String, _ value: Bool) {
        key(name)
        bytes.append(contentsOf: (value ? "true" : "false").utf8)
    }

    package mutating func add(_ name: String, _ value: Double) {
        key(name)
        bytes.append(contentsOf: Self.number(value).utf8)
    }

    /// Adds an already-serialised JSON value (an object or array).
    package mutating func add(_ name: String, raw: String) {
        key(name)
        bytes.append(contentsOf: raw.utf8)
    }

    /// Adds a value its writer appends in place (`body` must append valid JSON).
    package mutating func add(_ name: String, writing body: (inout [UInt8]) -> Void) {
        key(name)
        body(&bytes)
    }

    private mutating func appendNull() { bytes.append(contentsOf: "null".utf8) }

    /// At most 4 decimals, integers without a fraction, non-finite values as null.
    package static func number(_ v: Double) -> String {
        guard v.isFinite else { return "null" }
        if v == v.rounded() && abs(v) < 1e15 { return String(Int64(v)) }
        return String((v * 10_000).rounded() / 10_000)
    }

    /// A JSON string literal: quotes, backslashes and control characters escaped.
    package static func appendString(_ s: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in s.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: "\\\"".utf8)
            case UInt8(ascii: "\\"): out.append(contentsOf: "\\\\".utf8)
            case UInt8(ascii: "\n"): out.append(contentsOf: "\\n".utf8)
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                out.append(contentsOf: "\\u00".utf8)
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 0xF)])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    package static func string(_ s: String) -> String {
        var out: [UInt8] = []
        appendString(s, to: &out)
        return String(decoding: out, as: UTF8.self)
    }
}
