// A strict JSON (RFC 8259) syntax check without Foundation: the harnesses check every record they
// render is one JSON object, and JSONSerialization (a Foundation tree per call) was most of what
// alert_encoding spent per input under ASan. Refused, as JSONSerialization refuses them: bytes that
// are not UTF-8, unescaped control characters, bad escapes, lone surrogates, malformed numbers,
// trailing bytes and nesting deeper than 64.

/// Whether `bytes` is exactly one JSON object (surrounding whitespace allowed).
func isJSONObject(_ bytes: [UInt8]) -> Bool {
    guard String(validating: bytes, as: UTF8.self) != nil else { return false }
    var reader = JSONSyntax(bytes: bytes)
    reader.skipSpace()
    guard reader.peek == UInt8(ascii: "{"), reader.value(depth: 0) else { return false }
    reader.skipSpace()
    return reader.position == bytes.count
}

private struct JSONSyntax {
    let bytes: [UInt8]
    var position = 0

    init(bytes: [UInt8]) { self.bytes = bytes }

    var peek: UInt8? { position < bytes.count ? bytes[position] : nil }

    mutating func skipSpace() {
        while let b = peek, b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D { position += 1 }
    }

    mutating func expect(_ literal: String) -> Bool {
        for b in literal.utf8 {
            guard peek == b else { return false }
            position += 1
        }
        return true
    }

    mutating func value(depth: Int) -> Bool {
        guard depth < 64 else { return false }
        skipSpace()
        switch peek {
        case UInt8(ascii: "{"):
            position += 1
            skipSpace()
            if peek == UInt8(ascii: "}") {
                position += 1
                return true
            }
            while true {
                skipSpace()
                guard peek == UInt8(ascii: "\""), string() else { return false }
                skipSpace()
                guard peek == UInt8(ascii: ":") else { return false }
                position += 1
                guard value(depth: depth + 1) else { return false }
                skipSpace()
                if peek == UInt8(ascii: ",") {
                    position += 1
                } else if peek == UInt8(ascii: "}") {
                    position += 1
                    return true
                } else {
                    return false
                }
            }
        case UInt8(ascii: "["):
            position += 1
            skipSpace()
            if peek == UInt8(ascii: "]") {
                position += 1
                return true
            }
            while true {
                guard value(depth: depth + 1) else { return false }
                skipSpace()
                if peek == UInt8(ascii: ",") {
                    position += 1
                } else if peek == UInt8(ascii: "]") {
                    position += 1
                    return true
                } else {
                    return false
                }
            }
        case UInt8(ascii: "\""): return string()
        case UInt8(ascii: "t"): return expect("true")
        case UInt8(ascii: "f"): return expect("false")
        case UInt8(ascii: "n"): return expect("null")
        default: return number()
        }
    }

    mutating func hex4() -> UInt32? {
        guard position + 4 <= bytes.count else { return nil }
        var v: UInt32 = 0
        for b in bytes[position..<position + 4] {
            let digit: UInt8
            switch b {
            case 0x30...0x39: digit = b - 0x30
            case 0x41...0x46: digit = b - 0x41 + 10
            case 0x61...0x66: digit = b - 0x61 + 10
            default: return nil
            }
            v = v << 4 | UInt32(digit)
        }
        position += 4
        return v
    }

    mutating func string() -> Bool {
        position += 1  // the opening quote
        while let b = peek {
            position += 1
            switch b {
            case UInt8(ascii: "\""): return true
            case 0x00..<0x20: return false
            case UInt8(ascii: "\\"):
                guard let e = peek else { return false }
                position += 1
                switch e {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
                    UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                    continue
                case UInt8(ascii: "u"):
                    guard let unit = hex4() else { return false }
                    if (0xDC00...0xDFFF).contains(unit) { return false }
                    if (0xD800...0xDBFF).contains(unit) {
                        guard expect("\\u"), let low = hex4(), (0xDC00...0xDFFF).contains(low) else { return false }
                    }
                default: return false
                }
            default: continue
            }
        }
        return false
    }

    mutating func digits() -> Int {
        let start = position
        while let b = peek, b >= 0x30 && b <= 0x39 { position += 1 }
        return position - start
    }

    mutating func number() -> Bool {
        if peek == UInt8(ascii: "-") { position += 1 }
        if peek == UInt8(ascii: "0") {
            position += 1
        } else if digits() == 0 {
            return false
        }
        if peek == UInt8(ascii: ".") {
            position += 1
            guard digits() > 0 else { return false }
        }
        if peek == UInt8(ascii: "e") || peek == UInt8(ascii: "E") {
            position += 1
            if peek == UInt8(ascii: "+") || peek == UInt8(ascii: "-") { position += 1 }
            guard digits() > 0 else { return false }
        }
        return true
    }
}
