import AirlockEvents

/// DNS record type mnemonics as written in `dns.allowed_types`, both directions.
///
/// An operator may allow any registered type by its mnemonic, or any type by number (`35`, `TYPE35`,
/// RFC 3597 style).
public enum RecordTypeNames {
    /// Every registry mnemonic (``DNSRecordType/mnemonics``, the one table Airlock names types from).
    public static let byName: [String: UInt16] = Dictionary(
        uniqueKeysWithValues: DNSRecordType.mnemonics.map { ($1, $0) })

    private static let byNumber: [UInt16: String] = DNSRecordType.mnemonics

    /// Mnemonic for a type, `TYPE<n>` when it has none.
    public static func name(_ type: UInt16) -> String { byNumber[type] ?? "TYPE\(type)" }

    /// A type from `AAAA`, `aaaa`, `TYPE28` or `28`; nil for anything else (and for type 0, reserved).
    public static func parse(_ text: String) -> UInt16? {
        let upper = text.uppercased()
        if let known = byName[upper] { return known }
        var digits = Substring(upper)
        if digits.hasPrefix("TYPE") { digits = digits.dropFirst(4) }
        guard !digits.isEmpty, digits.count <= 5, digits.allSatisfy({ $0.isASCII && $0.isNumber }),
            let value = UInt16(digits), value != 0
        else { return nil }
        return value
    }
}
