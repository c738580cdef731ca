/// Standard base64 (RFC 4648 §4: `+` `/` `=`), the one codec: the n-gram model's table (shipped as
/// one string literal, which the compiler reads in milliseconds where a 64,000-element array
/// literal takes very long to type-check) and `Proxy-Authorization: Basic` both decode with it.
///
/// Decoding is strict: a length that is a multiple of 4, no whitespace, no other alphabet, padding
/// only in the last one or two places and nothing after it.
public enum Base64 {
    /// Why a text is not base64: its length, or the offset of the first byte that is wrong.
    public enum DecodingError: Error, Equatable, Sendable {
        case length(Int)
        case invalid(offset: Int)
    }

    public static func decode(_ text: some StringProtocol) -> Result<[UInt8], DecodingError> {
        let utf8 = text.utf8
        let count = utf8.count
        guard count % 4 == 0 else { return .failure(.length(count)) }
        var output: [UInt8] = []
        output.reserveCapacity(count / 4 * 3)
        let values = Self.values
        var quad: UInt32 = 0
        var filled = 0
        var padding = 0
        var offset = 0
        for byte in utf8 {
            if byte == UInt8(ascii: "=") {
                guard offset >= count - 2, offset % 4 >= 2 else { return .failure(.invalid(offset: offset)) }
                padding += 1
                quad <<= 6
            } else {
                let value = values[Int(byte)]
                guard value != invalid, padding == 0 else { return .failure(.invalid(offset: offset)) }
                quad = quad << 6 | UInt32(value)
            }
            filled += 1
            offset += 1
            if filled == 4 {
                output.append(UInt8(truncatingIfNeeded: quad >> 16))
                if padding < 2 { output.append(UInt8(truncatingIfNeeded: quad >> 8)) }
                if padding < 1 { output.append(UInt8(truncatingIfNeeded: quad)) }
                quad = 0
                filled = 0
            }
        }
        return .success(output)
    }

    public static func encode(_ bytes: [UInt8]) -> String {
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

    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    private static let invalid: UInt8 = 0xFF

    /// Byte → 6-bit value, `invalid` for bytes outside the alphabet.
    private static let values: [UInt8] = {
        var values = [UInt8](repeating: invalid, count: 256)
        for (index, byte) in alphabet.enumerated() { values[Int(byte)] = UInt8(index) }
        return values
    }()
}
