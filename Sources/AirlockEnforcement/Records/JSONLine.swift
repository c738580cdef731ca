import AirlockEvents

/// Appends one JSON object to a byte buffer, keys in the order written.
///
/// The proxy formats a batch of decisions straight into the output buffer it then writes with one
/// system call, so nothing builds an intermediate string per field.
package struct JSONLine {
    private(set) var bytes: [UInt8]
    private var needsComma = false

    /// Takes `buffer` over (leaving it empty) so that appending never copies what it already holds:
    /// taking a copy of it left two references for the first append, which then copied the whole
    /// buffer — every line of a batch copied the lines before it.
    package init(into buffer: inout [UInt8]) {
        bytes = []
        swap(&bytes, &buffer)
        bytes.append(UInt8(ascii: "{"))
    }

    /// Closes the object and the line, and hands the buffer back to `buffer` (emptied by ``init(into:)``).
    /// Swapped, not returned: `consuming` still left the caller's copy of the line holding the bytes, so
    /// the closing brace copied the whole batch again (1 % of the proxy's CPU when logging every query).
    package mutating func finish(into buffer: inout [UInt8]) {
        bytes.append(UInt8(ascii: "}"))
        bytes.append(UInt8(ascii: "\n"))
        swap(&bytes, &buffer)
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
        bytes.append(contentsOf: JSON.number(value).utf8)
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

    /// `s` as a JSON string literal, byte for byte as ``JSON/appendString(_:to:)`` writes it. Plain
    /// ASCII (nearly every value a decision line holds) is checked over the string's bytes as a span
    /// and then copied whole; the general writer checked it through the UTF-8 view's iterator, a
    /// visible share of logging every query.
    package static func appendString(_ s: String, to out: inout [UInt8]) {
        guard isPlain(s.utf8.span) else { return JSON.appendString(s, to: &out) }
        out.append(UInt8(ascii: "\""))
        out.append(contentsOf: s.utf8)
        out.append(UInt8(ascii: "\""))
    }

    /// Printable ASCII without `"` or `\\`: written as it is.
    private static func isPlain(_ bytes: Span<UInt8>) -> Bool {
        for i in bytes.indices {
            let b = bytes[i]
            if b < 0x20 || b >= 0x7F || b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") { return false }
        }
        return true
    }

    private mutating func appendNull() { bytes.append(contentsOf: "null".utf8) }
}
