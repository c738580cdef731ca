/// Character classes of RFC 9110 §5.6 over raw bytes, as lookup tables (no Unicode, no allocation).
enum ByteClass {
    static let cr: UInt8 = 0x0D
    static let lf: UInt8 = 0x0A
    static let sp: UInt8 = 0x20
    static let htab: UInt8 = 0x09
    static let colon: UInt8 = 0x3A

    /// tchar: `!#$%&'*+-.^_`|~`, digits and letters.
    static let token: [Bool] = (0..<256).map { b in
        switch UInt8(b) {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "A")...UInt8(ascii: "Z"):
            return true
        default:
            return Array("!#$%&'*+-.^_`|~".utf8).contains(UInt8(b))
        }
    }

    /// field-vchar, SP and HTAB (obs-text included): what a header value may hold.
    static let fieldValue: [Bool] = (0..<256).map { b in
        b == 0x09 || b == 0x20 || (b >= 0x21 && b <= 0x7E) || b >= 0x80
    }

    /// Visible ASCII: what a request target may hold (no spaces, no controls, no raw UTF-8).
    static let visible: [Bool] = (0..<256).map { b in b >= 0x21 && b <= 0x7E }

    /// Letters, digits, `-`, `_` and `.`: a host name as the policy reads it.
    static let hostName: [Bool] = (0..<256).map { b in
        switch UInt8(b) {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."):
            return true
        default:
            return false
        }
    }

    /// ASCII lower case of one byte.
    @inline(__always)
    static func lower(_ b: UInt8) -> UInt8 { b >= 0x41 && b <= 0x5A ? b | 0x20 : b }

    /// The value of a hex digit, nil for anything else.
    @inline(__always)
    static func hexValue(_ b: UInt8) -> UInt64? {
        switch b {
        case 0x30...0x39: return UInt64(b - 0x30)
        case 0x61...0x66: return UInt64(b - 0x61 + 10)
        case 0x41...0x46: return UInt64(b - 0x41 + 10)
        default: return nil
        }
    }
}

extension Span where Element == UInt8 {
    /// The bytes in `range` as a new array.
    func bytes(_ range: Range<Int>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(range.count)
        for i in range { out.append(self[i]) }
        return out
    }

    /// The bytes in `range` as a string (invalid UTF-8 repaired; only used for already-checked bytes).
    func string(_ range: Range<Int>) -> String {
        String(decoding: bytes(range), as: UTF8.self)
    }

    /// Whether the bytes in `range` equal `text` (a lower-case literal), ignoring ASCII case.
    func equalsIgnoringCase(_ range: Range<Int>, _ text: String) -> Bool {
        guard range.count == text.utf8.count else { return false }
        var i = range.lowerBound
        for expected in text.utf8 {
            if ByteClass.lower(self[i]) != expected { return false }
            i += 1
        }
        return true
    }
}
