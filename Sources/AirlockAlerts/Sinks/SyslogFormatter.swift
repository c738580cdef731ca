import AirlockEngine
import AirlockEvents

/// RFC 5424 syslog messages for alerts, with the alert's key facts as structured data:
///
///     <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID [airlock@PEN id=".." kind=".." rule=".." ...] MSG
///
/// MSGID is the alert kind (`dns-tunnel`); the SD-ELEMENT `airlock@<enterprise>` carries id, kind,
/// phase, count, action, rule, verdict, score, domain, sandbox, client, queries, bytes and the policy
/// version, so a SIEM can route and search without parsing MSG. MSG is the formatted JSON record
/// (or the one-line summary), UTF-8 without BOM.
public struct SyslogFormatter: Sendable {
    /// RFC 5424 facility (default 16, local0).
    public var facility: Int
    public var hostname: String
    public var appName: String
    public var processID: String
    /// Private enterprise number in the SD-ID. 32473 is the number RFC 5612 reserves for examples
    /// and documentation; set your organisation's own.
    public var enterpriseNumber: Int
    /// Largest message in bytes; MSG is cut to fit (UDP datagrams should stay small).
    public var maxMessageBytes: Int

    public init(
        facility: Int = 16, hostname: String, appName: String = "airlock", processID: String,
        enterpriseNumber: Int = 32473, maxMessageBytes: Int = 8192
    ) {
        self.facility = facility
        self.hostname = hostname
        self.appName = appName
        self.processID = processID
        self.enterpriseNumber = enterpriseNumber
        self.maxMessageBytes = maxMessageBytes
    }

    /// Syslog severity for an alert: High → 3 (error), Medium → 4 (warning), Low → 5 (notice).
    public static func severity(_ kind: AlertKind) -> Int {
        switch kind.severityID {
        case 4...: return 3
        case 3: return 4
        default: return 5
        }
    }

    /// The message for `alert`, with `message` as MSG.
    public func format(_ alert: Alert, message: String) -> [UInt8] {
        let d = alert.decision
        let pri = facility * 8 + Self.severity(alert.kind)
        var head = "<\(pri)>1 \(alert.time.description) \(Self.field(hostname, 255)) \(Self.field(appName, 48)) "
        head += "\(Self.field(processID, 128)) \(Self.field(alert.kind.rawValue, 32)) "
        var params: [(String, String)] = [
            ("id", alert.id), ("kind", alert.kind.rawValue), ("phase", alert.phase.rawValue), ("count", String(alert.count)),
            ("action", d.action.rawValue), ("rule", d.rule),
        ]
        if let v = d.verdict {
            params.append(("verdict", v.kind.rawValue))
            params.append(("score", Self.number(v.score)))
            params.append(("threshold", Self.number(v.threshold)))
        }
        params.append(("domain", d.domain))
        if let sandbox = d.sandbox { params.append(("sandbox", sandbox.name)) }
        params.append(("client", d.client.address.description))
        if let q = d.queries { params.append(("queries", String(q))) }
        if let b = d.nameBytes { params.append(("bytes", String(b))) }
        if let p = d.policyVersion { params.append(("policy", p)) }
        let reasons = d.evidence.map(\.feature).joined(separator: ",")
        if !reasons.isEmpty { params.append(("reasons", reasons)) }
        var headBytes = Array((head + structuredData(params)).utf8)
        if headBytes.count > maxMessageBytes {
            // Too long for the limit: keep the parameters a SIEM routes on, drop the rest.
            let essential: Set<String> = ["id", "kind", "action", "rule", "domain"]
            headBytes = Array((head + structuredData(params.filter { essential.contains($0.0) })).utf8)
        }
        var body = Array(message.utf8)
        let room = max(0, maxMessageBytes - headBytes.count)
        if body.count > room { body = Self.truncateUTF8(body, to: room) }
        return headBytes + body
    }

    private func structuredData(_ params: [(String, String)]) -> String {
        var sd = "[airlock@\(enterpriseNumber)"
        for (name, value) in params { sd += " \(name)=\"\(Self.escapeParam(value))\"" }
        return sd + "] "
    }

    /// ``JSON``'s numbers with two decimals at most (structured-data values have no null: 0).
    static func number(_ v: Double) -> String { v.isFinite ? JSON.number(v, decimals: 2) : "0" }

    /// RFC 6587 octet-counting frame for TCP: `LEN SP MSG`.
    public static func octetCounted(_ message: [UInt8]) -> [UInt8] {
        Array("\(message.count) ".utf8) + message
    }

    /// A header field: printable US-ASCII without spaces, at most `limit` characters; `-` when empty.
    static func field(_ s: String, _ limit: Int) -> String {
        let cleaned = String(String.UnicodeScalarView(s.unicodeScalars.filter { $0.value >= 33 && $0.value <= 126 }.prefix(limit)))
        return cleaned.isEmpty ? "-" : cleaned
    }

    /// PARAM-VALUE escaping (RFC 5424 §6.3.3): `"`, `\` and `]` get a backslash.
    static func escapeParam(_ s: String) -> String {
        var out = ""
        for c in s.unicodeScalars {
            if c == "\"" || c == "\\" || c == "]" { out += "\\" }
            if c.value < 0x20 { out += " " } else { out.unicodeScalars.append(c) }
        }
        return out
    }

    /// Cuts to at most `limit` bytes without splitting a UTF-8 sequence.
    static func truncateUTF8(_ bytes: [UInt8], to limit: Int) -> [UInt8] {
        guard bytes.count > limit else { return bytes }
        var end = limit
        while end > 0 && bytes[end] & 0xC0 == 0x80 { end -= 1 }
        return Array(bytes[..<end])
    }
}
