import AirlockEngine
import AirlockEvents
import AirlockPolicy

/// The JSON-lines form of a decision: one object per line, stable keys (documented in the README).
///
/// ```
/// {"time":"…","event":"dns_decision","stage":"query","action":"block","sandbox":"agent-1",
///  "client":"198.18.1.2:41000","transport":"udp","name":"x.t.example","qtype":"NULL",
///  "domain":"example","rule":"dns.quarantine_seconds","reason":"…","mode":"enforce","rcode":"NXDOMAIN",
///  "cached":false,"alert":true,"verdict":{…},"policy_version":"sha256:…"}
/// ```
public enum DecisionFormat {
    /// Appends `record` as one JSON line to `buffer`.
    public static func append(_ record: DNSDecisionRecord, to buffer: inout [UInt8]) {
        var clock = JSONLineFields.Clock()
        append(record, to: &buffer, clock: &clock)
    }

    /// Appends every record, sharing the formatted second between them.
    public static func append(_ records: [DNSDecisionRecord], to buffer: inout [UInt8]) {
        var clock = JSONLineFields.Clock()
        for record in records { append(record, to: &buffer, clock: &clock) }
    }

    static func append(_ record: DNSDecisionRecord, to buffer: inout [UInt8], clock: inout JSONLineFields.Clock) {
        if appendPlain(record, to: &buffer, clock: &clock) { return }
        appendGeneral(record, to: &buffer, clock: &clock)
    }

    /// `record`'s line written field by field, as for a record that is not plain (tests compare it
    /// with the plain writer's line).
    package static func appendGeneral(_ record: DNSDecisionRecord, to buffer: inout [UInt8]) {
        var clock = JSONLineFields.Clock()
        appendGeneral(record, to: &buffer, clock: &clock)
    }

    /// Field by field: any record (``appendPlain(_:to:clock:)`` writes the common ones faster).
    static func appendGeneral(
        _ record: DNSDecisionRecord, to buffer: inout [UInt8], clock: inout JSONLineFields.Clock
    ) {
        var line = JSONLine(into: &buffer)
        line.add("time") { clock.append(record.time, to: &$0) }
        line.add("event", "dns_decision")
        line.add("stage", record.stage.rawValue)
        line.add("action", record.action.rawValue)
        line.add("sandbox", record.sandbox)
        line.add("client") { JSONLineFields.append(record.client, to: &$0) }
        line.add("transport", record.transport.rawValue)
        if let name = record.name {
            line.add("name") { JSONLineFields.append(name, to: &$0) }
        } else {
            line.add("name", nil as String?)
        }
        line.add("qtype", record.qtype.map(DNSRecordType.name))
        line.add("domain", record.domain?.value)
        line.add("rule", record.rule)
        line.add("reason", record.basis?.reason ?? record.verdict.map(\.explanation))
        if case .policy(let decision)? = record.basis, case .feed(let match) = decision.basis {
            line.add("feed", match.feedName)
            line.add("feed_entry", match.entry)
        }
        if case .quarantine(_, _, _, let conviction?)? = record.basis {
            line.add("convicted_by", conviction.instance)
            line.add("conviction_rule", conviction.rule)
        }
        line.add("mode", record.mode?.rawValue)
        line.add("rcode", record.rcode.map(rcodeName))
        line.add("cached", record.cached)
        line.add("alert", record.alert)
        if let detail = record.detail { line.add("detail", detail) }
        if let stripped = record.stripped { line.add("stripped", raw: json(stripped)) }
        if let verdict = record.verdict {
            line.add("verdict", raw: json(verdict))
        } else {
            line.add("verdict", nil as String?)
        }
        line.add("policy_version") { out in
            out.append(contentsOf: "\"sha256:".utf8)
            out.append(contentsOf: record.policyVersion.utf8)
            out.append(UInt8(ascii: "\""))
        }
        line.finish(into: &buffer)
    }

    /// One record as a string without the newline (tests, error messages).
    public static func string(_ record: DNSDecisionRecord) -> String {
        var buffer: [UInt8] = []
        append(record, to: &buffer)
        return String(decoding: buffer.dropLast(), as: UTF8.self)
    }

    static func json(_ v: Verdict) -> String {
        var out = "{\"kind\":" + JSON.string(v.kind.rawValue)
        out += ",\"rule\":" + JSON.string(v.rule)
        out += ",\"score\":" + JSON.number(v.score)
        out += ",\"threshold\":" + JSON.number(v.threshold)
        out += ",\"queries\":\(v.queries),\"name_bytes\":\(v.nameBytes),\"first\":\(v.isFirst)"
        if !v.members.isEmpty {
            out += ",\"campaign\":[" + v.members.map { JSON.string($0.value) }.joined(separator: ",") + "]"
            out += ",\"campaign_size\":\(v.memberCount)"
        }
        out += ",\"evidence\":["
        for (i, e) in v.evidence.enumerated() {
            if i > 0 { out += "," }
            out += "{\"feature\":" + JSON.string(e.feature) + ",\"value\":" + JSON.number(e.value)
            out += ",\"threshold\":" + JSON.number(e.threshold) + ",\"contribution\":"
            out += JSON.number(e.contribution) + "}"
        }
        return out + "]}"
    }

    /// `{"upper_case_letters":3,"edns_options":[10,65001],"edns_option_bytes":3016,"unusual_option":true,
    /// "header_flags":0,"edns_flags":0,"trailing_bytes":0}`
    static func json(_ s: QueryStripped) -> String {
        var out = "{\"upper_case_letters\":\(s.upperCaseLetters),\"edns_options\":["
        out += s.ednsOptions.map(String.init).joined(separator: ",")
        out += "],\"edns_option_bytes\":\(s.ednsOptionBytes),\"unusual_option\":\(s.unusualOption)"
        out += ",\"header_flags\":\(s.headerFlags),\"edns_flags\":\(s.ednsFlags),\"trailing_bytes\":\(s.trailingBytes)}"
        return out
    }

    /// `NOERROR`, `NXDOMAIN`… or the number.
    public static func rcodeName(_ rcode: UInt16) -> String {
        switch rcode {
        case 0: return "NOERROR"
        case 1: return "FORMERR"
        case 2: return "SERVFAIL"
        case 3: return "NXDOMAIN"
        case 4: return "NOTIMP"
        case 5: return "REFUSED"
        case 16: return "BADVERS"
        default: return "RCODE\(rcode)"
        }
    }
}
