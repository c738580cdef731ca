/// Lexical features of one opaque token outside DNS: a URL path segment, a query value, a header
/// value. The HTTP proxy uses them the way the DNS side uses ``NameFeatures``: data smuggled out
/// in URLs and headers has to be encoded, and encodings look random where words do not.
///
/// Entropy here is over raw byte values (a token is not case-folded like a DNS name), so
/// base64's 64 symbols can show up to 6 bits per byte and hex up to 4.
public struct TokenFeatures: Sendable, Equatable {
    public var length: Int = 0
    /// Shannon entropy in bits per byte.
    public var entropy: Double = 0
    /// The encoding the bytes resemble.
    public var shape: EncodingShape = .plain
    /// length × entropy: an upper bound on the information the token carries.
    public var informationBits: Double = 0
    /// FNV-1a of the bytes, to count a token once however often it repeats (an API key in every
    /// request is one secret, not a stream of them).
    public var hash: UInt64 = 0

    public init() {}

    /// c·log₂(c) for the counts a token of at most 4096 bytes can have.
    static let cLog2c: [Double] = (0...4096).map { $0 < 2 ? 0 : Double($0) * Math.log2(Double($0)) }

    /// The features of `bytes` (only the first 4096 bytes are read).
    public static func of(_ bytes: Span<UInt8>) -> TokenFeatures {
        var f = TokenFeatures()
        let n = min(bytes.count, 4096)
        guard n > 0 else { return f }
        var counts = [UInt16](repeating: 0, count: 256)
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        var digits = 0
        var upper = 0
        var lower = 0
        var hexOnly = true
        var base32Only = true
        var base64Extra = false
        var binary = false
        for i in 0..<n {
            let b = bytes[i]
            counts[Int(b)] &+= 1
            hash = (hash ^ UInt64(b)) &* 0x100_0000_01b3
            switch b {
            case 0x30...0x39:
                digits += 1
                if b < 0x32 || b > 0x37 { base32Only = false }
            case 0x61...0x7A:
                lower += 1
                if b > 0x66 { hexOnly = false }
            case 0x41...0x5A:
                upper += 1
                if b > 0x46 { hexOnly = false }
            case 0x2B, 0x2F, 0x3D, 0x2D, 0x5F:  // + / = - _
                base64Extra = true
                hexOnly = false
                base32Only = false
            case 0x21...0x7E:
                hexOnly = false
                base32Only = false
            default:
                binary = true
                hexOnly = false
                base32Only = false
            }
        }
        let dn = Double(n)
        var sum = 0.0
        for count in counts where count > 1 { sum += cLog2c[Int(count)] }
        f.length = n
        f.entropy = max(0, Math.log2(dn) - sum / dn)
        f.informationBits = dn * f.entropy
        f.hash = hash
        let letters = upper + lower
        if binary {
            f.shape = .binary
        } else if hexOnly && n >= 16 && digits > 0 && letters > 0 {
            f.shape = .hex
        } else if n >= 16 && digits > 0 && upper > 0 && lower > 0 {
            // Mixed case with digits is what base64 (and base64url) text looks like.
            f.shape = .base64
        } else if base64Extra && n >= 16 && digits > 0 && letters > 0 {
            // base64 / base64url symbols beside letters and digits.
            f.shape = .base64
        } else if n >= 16 && base32Only && digits > 0 && letters > 0 && (upper == 0 || lower == 0) {
            f.shape = .base32
        }
        return f
    }

    /// Convenience for callers holding an array or a string's bytes.
    public static func of(_ bytes: [UInt8]) -> TokenFeatures { of(bytes.span) }
}
