import AirlockDigest

/// Stable alert ids: a UUID (RFC 9562 version 8, custom) made from the SHA-256 of the fields that
/// identify one alert. Equal content and sequence give equal ids, live or in replay.
enum AlertID {
    static func make(parts: [String]) -> String {
        var hash = SHA256()
        hash.update("airlock-alert/1")
        for part in parts {
            hash.update([0])
            hash.update(part)
        }
        var bytes = Array(hash.finalize().prefix(16))
        bytes[6] = (bytes[6] & 0x0F) | 0x80  // version 8
        bytes[8] = (bytes[8] & 0x3F) | 0x80  // RFC 9562 variant
        let hex = Array(SHA256.hexEncoded(bytes))
        return String(hex[0..<8]) + "-" + String(hex[8..<12]) + "-" + String(hex[12..<16]) + "-"
            + String(hex[16..<20]) + "-" + String(hex[20..<32])
    }
}
