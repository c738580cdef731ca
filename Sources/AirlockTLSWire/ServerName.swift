/// One `host_name` from the server_name extension, lower-cased, with what is wrong with it.
///
/// SNI is attacker-controlled text that ends up in policy decisions and logs, so it is never taken
/// at face value: the name is folded to lower case, bytes outside printable ASCII are escaped as
/// `\DDD` (so the text is always one safe line and can never equal a clean list entry), and every
/// deviation from a plausible DNS host name is recorded in ``issues``.
public struct ServerName: Hashable, Sendable, CustomStringConvertible {
    /// Lower-cased host name; non-printable or non-ASCII bytes and `\` appear as `\DDD`.
    public var hostName: String
    /// Empty when the name is a plausible DNS host name.
    public var issues: ServerNameIssues

    public init(hostName: String, issues: ServerNameIssues) {
        self.hostName = hostName
        self.issues = issues
    }

    /// No issues: the name can be matched against host-name lists as it is.
    public var isPlausibleHostName: Bool { issues.isEmpty }

    public var description: String { issues.isEmpty ? hostName : "\(hostName) [\(issues)]" }

    /// Longest name in presentation form without a trailing dot (RFC 1035 255-byte wire limit).
    public static let maximumLength = 253

    /// Validates and normalises raw host_name bytes.
    public init(bytes: Span<UInt8>) {
        var issues: ServerNameIssues = []
        var text: [UInt8] = []
        text.reserveCapacity(bytes.count)
        if bytes.isEmpty { issues.insert(.empty) }

        var labelLength = 0
        var labelCount = 0
        var numericLabels = 0
        var labelIsNumeric = true
        var sawColon = false
        for i in 0..<bytes.count {
            var b = bytes[i]
            if b >= 0x41 && b <= 0x5A { b |= 0x20 }
            if b == 0x2E {  // '.'
                // A dot at the start or after another dot closes an empty label.
                if labelLength == 0 { issues.insert(.emptyLabel) }
                if i == bytes.count - 1 { issues.insert(.trailingDot) }
                if labelLength > 0 {
                    labelCount += 1
                    if labelIsNumeric { numericLabels += 1 }
                }
                labelLength = 0
                labelIsNumeric = true
                text.append(b)
                continue
            }
            labelLength += 1
            if labelLength == 64 { issues.insert(.labelTooLong) }
            let isDigit = b >= 0x30 && b <= 0x39
            if !isDigit { labelIsNumeric = false }
            let isLDH = isDigit || (b >= 0x61 && b <= 0x7A) || b == 0x2D || b == 0x5F
            if b == 0 {
                issues.insert(.embeddedNUL)
            } else if b >= 0x80 {
                issues.insert(.nonASCII)
            } else if !isLDH {
                if b == 0x3A { sawColon = true }
                issues.insert(.invalidCharacter)
            }
            ServerName.appendEscaped(b, to: &text)
        }
        if labelLength > 0 {
            labelCount += 1
            if labelIsNumeric { numericLabels += 1 }
        }
        let withoutTrailingDot = issues.contains(.trailingDot) ? bytes.count - 1 : bytes.count
        if withoutTrailingDot > ServerName.maximumLength { issues.insert(.nameTooLong) }
        // RFC 6066 §3: "Literal IPv4 and IPv6 addresses are not permitted in HostName."
        if (labelCount == 4 && numericLabels == 4) || sawColon { issues.insert(.ipAddressLiteral) }
        self.hostName = String(decoding: text, as: UTF8.self)
        self.issues = issues
    }

    /// Printable ASCII as is (except `\`), everything else as `\DDD`.
    static func appendEscaped(_ b: UInt8, to out: inout [UInt8]) {
        if b > 0x20 && b < 0x7F && b != 0x5C {
            out.append(b)
        } else {
            out.append(0x5C)
            out.append(0x30 + b / 100)
            out.append(0x30 + (b / 10) % 10)
            out.append(0x30 + b % 10)
        }
    }
}

/// What makes a server name implausible as a DNS host name. Any of these is worth a policy look:
/// a real client resolving a real name never produces them.
public struct ServerNameIssues: OptionSet, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    /// Zero-length host_name (RFC 6066 requires at least one byte).
    public static let empty = ServerNameIssues(rawValue: 1 << 0)
    /// A NUL byte: C-string consumers would see a shorter, different name.
    public static let embeddedNUL = ServerNameIssues(rawValue: 1 << 1)
    /// Bytes ≥ 0x80: IDNs must be sent as A-labels (`xn--`).
    public static let nonASCII = ServerNameIssues(rawValue: 1 << 2)
    /// ASCII other than letters, digits, `-`, `_` and `.` (space, `/`, `:`, `@`, control bytes, …).
    public static let invalidCharacter = ServerNameIssues(rawValue: 1 << 3)
    /// Leading dot or two dots in a row.
    public static let emptyLabel = ServerNameIssues(rawValue: 1 << 4)
    /// A label longer than 63 bytes.
    public static let labelTooLong = ServerNameIssues(rawValue: 1 << 5)
    /// Longer than 253 bytes (without a trailing dot).
    public static let nameTooLong = ServerNameIssues(rawValue: 1 << 6)
    /// Ends with `.`; RFC 6066 says the name is sent without it.
    public static let trailingDot = ServerNameIssues(rawValue: 1 << 7)
    /// A literal IPv4 (four numeric labels) or IPv6 (contains `:`) address, not permitted in SNI.
    public static let ipAddressLiteral = ServerNameIssues(rawValue: 1 << 8)

    /// Stable snake_case names, in bit order.
    public static let names: [(ServerNameIssues, String)] = [
        (.empty, "empty"), (.embeddedNUL, "embedded_nul"), (.nonASCII, "non_ascii"),
        (.invalidCharacter, "invalid_character"), (.emptyLabel, "empty_label"), (.labelTooLong, "label_too_long"),
        (.nameTooLong, "name_too_long"), (.trailingDot, "trailing_dot"), (.ipAddressLiteral, "ip_address_literal"),
    ]

    /// Comma-separated snake_case names, e.g. `embedded_nul,invalid_character`.
    public var description: String {
        ServerNameIssues.names.filter { contains($0.0) }.map(\.1).joined(separator: ",")
    }
}
