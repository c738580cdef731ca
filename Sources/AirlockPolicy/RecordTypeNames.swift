import AirlockEvents

/// DNS record type mnemonics as written in `dns.allowed_types`, both directions.
///
/// Wider than ``DNSRecordType`` (which lists what the detector reasons about): an operator may allow
/// any registered type by name, or any type by number (`35`, `TYPE35`, RFC 3597 style).
public enum RecordTypeNames {
    public static let byName: [String: UInt16] = [
        "A": 1, "NS": 2, "CNAME": 5, "SOA": 6, "NULL": 10, "HINFO": 13, "PTR": 12, "MX": 15, "TXT": 16,
        "RP": 17, "AFSDB": 18, "AAAA": 28, "LOC": 29, "SRV": 33, "NAPTR": 35, "KX": 36, "CERT": 37,
        "DNAME": 39, "DS": 43, "SSHFP": 44, "IPSECKEY": 45, "RRSIG": 46, "NSEC": 47, "DNSKEY": 48,
        "DHCID": 49, "NSEC3": 50, "NSEC3PARAM": 51, "TLSA": 52, "SMIMEA": 53, "HIP": 55, "CDS": 59,
        "CDNSKEY": 60, "OPENPGPKEY": 61, "CSYNC": 62, "ZONEMD": 63, "SVCB": 64, "HTTPS": 65, "SPF": 99,
        "NID": 104, "L32": 105, "L64": 106, "LP": 107, "EUI48": 108, "EUI64": 109, "TKEY": 249,
        "TSIG": 250, "IXFR": 251, "AXFR": 252, "ANY": 255, "URI": 256, "CAA": 257,
    ]

    private static let byNumber: [UInt16: String] = Dictionary(uniqueKeysWithValues: byName.map { ($1, $0) })

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
