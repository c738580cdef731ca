extension NGramModel {
    /// Decodes standard padded base64 (RFC 4648 §4, `+` `/` `=`), the form `train.py` writes.
    ///
    /// The model ships as one string literal because the compiler handles a long string literal in
    /// milliseconds, while a 64,000-element array literal takes very long to type-check; this decoder
    /// keeps Foundation out of the engine. Strict: no whitespace, padding only at the end.
    static func decodeBase64(_ text: String) throws(NGramModelError) -> [UInt8] {
        let utf8 = text.utf8
        guard utf8.count % 4 == 0 else { throw .base64Length(utf8.count) }
        var output: [UInt8] = []
        output.reserveCapacity(utf8.count / 4 * 3)
        let values = base64Values
        var quad: UInt32 = 0
        var filled = 0
        var padding = 0
        var offset = 0
        for byte in utf8 {
            if byte == UInt8(ascii: "=") {
                // Padding: only in the last two positions, and nothing but padding after it.
                guard offset >= utf8.count - 2, offset % 4 >= 2 else { throw .invalidBase64(offset: offset) }
                padding += 1
                quad <<= 6
            } else {
                let value = values[Int(byte)]
                guard value != invalid, padding == 0 else { throw .invalidBase64(offset: offset) }
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
        return output
    }

    private static let invalid: UInt8 = 0xFF

    /// Byte → 6-bit value, `invalid` for bytes outside the alphabet.
    private static let base64Values: [UInt8] = {
        var values = [UInt8](repeating: invalid, count: 256)
        let alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
        for (index, byte) in alphabet.utf8.enumerated() { values[Int(byte)] = UInt8(index) }
        return values
    }()
}
