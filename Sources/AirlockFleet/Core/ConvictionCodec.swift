import AirlockEnforcement
import AirlockEvents
import AirlockPolicy

/// A ``Conviction`` as the fields of one stream entry, and back. Other instances' entries are
/// input from the network: every field is checked and bounded, and an entry that fails is skipped
/// (and counted), never trusted in part.
///
/// Fields: `v` format (1), `i` instance, `d` domain, `k` kind, `n` labels, `t` start (Unix ns),
/// `q` quarantine seconds, `r` rule, `s` score, `h` threshold, `w` reasons (comma-separated),
/// `m0`…`m63` campaign members as `KIND LABELS DOMAIN`.
public enum ConvictionCodec {
    /// Campaign members carried per entry (a campaign's alert lists up to this many as well).
    public static let maxMembers = 64

    public static func fields(_ c: Conviction) -> [String] {
        var out = [
            "v", "1", "i", c.instance ?? "", "d", c.domain.value, "k", c.domain.kind.rawValue, "n",
            String(c.domain.labelCount), "t", String(c.since.nanoseconds), "q", String(c.quarantineSeconds), "r",
            c.rule, "s", String(c.score), "h", String(c.threshold), "w", c.reasons.joined(separator: ","),
        ]
        for (index, member) in c.members.prefix(maxMembers).enumerated() {
            out += ["m\(index)", "\(member.kind.rawValue) \(member.labelCount) \(member.value)"]
        }
        return out
    }

    /// The conviction a stream entry's field list holds, or nil when any field is missing or bad.
    public static func conviction(_ fields: [RESPValue]) -> Conviction? {
        guard fields.count % 2 == 0, fields.count <= 2 * (12 + maxMembers) else { return nil }
        var map: [String: String] = [:]
        for i in stride(from: 0, to: fields.count, by: 2) {
            guard let key = fields[i].text, let value = fields[i + 1].text, value.utf8.count <= 1024 else { return nil }
            map[key] = value
        }
        guard map["v"] == "1", let instance = map["i"], FleetPolicy.nameProblem(instance) == nil,
            let domain = key(map["k"], map["n"], map["d"]),
            let sinceText = map["t"], let since = Int64(sinceText), since > 0,
            let seconds = map["q"].flatMap({ Int($0) }), (0...86_400).contains(seconds),
            let rule = map["r"], !rule.isEmpty, rule.utf8.count <= 128,
            let score = map["s"].flatMap({ Double($0) }), score.isFinite,
            let threshold = map["h"].flatMap({ Double($0) }), threshold.isFinite
        else { return nil }
        let reasons = (map["w"] ?? "").split(separator: ",").prefix(32).map(String.init)
        var members: [DomainKey] = []
        for index in 0..<maxMembers {
            guard let text = map["m\(index)"] else { break }
            let parts = text.split(separator: " ", maxSplits: 2).map(String.init)
            guard parts.count == 3, let member = key(parts[0], parts[1], parts[2]) else { return nil }
            members.append(member)
        }
        return Conviction(
            domain: domain, members: members, since: Timestamp(nanoseconds: since), instance: instance, rule: rule,
            score: score, threshold: threshold, reasons: reasons, quarantineSeconds: seconds)
    }

    private static func key(_ kind: String?, _ labels: String?, _ value: String?) -> DomainKey? {
        guard let kind = kind.flatMap(DomainKey.Kind.init(rawValue:)), let labels = labels.flatMap({ Int($0) }),
            (0...127).contains(labels), let value, !value.isEmpty, value.utf8.count <= 255,
            value.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F })
        else { return nil }
        return DomainKey(value: value, kind: kind, labelCount: labels)
    }
}
