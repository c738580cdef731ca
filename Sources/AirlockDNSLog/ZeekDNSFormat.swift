import AirlockEvents

/// Writes a ``ZeekDNSRecord`` as one line of Zeek's JSON log format (`LogAscii::use_json=T`): fields
/// in `dns.log`'s column order with its names (`id.orig_h`…), optional fields left out when unset,
/// times as epoch seconds and intervals as seconds (Zeek's `JSON::TS_EPOCH` defaults), then
/// Airlock's fields under the `airlock.` prefix.
public enum ZeekDNSFormat {
    public static func line(_ r: ZeekDNSRecord) -> String {
        var o = "{"
        field(&o, "ts", seconds(r.ts.nanoseconds), first: true)
        field(&o, "uid", JSON.string(r.uid))
        field(&o, "id.orig_h", JSON.string(r.orig.address.description))
        field(&o, "id.orig_p", String(r.orig.port))
        field(&o, "id.resp_h", JSON.string(r.resp.address.description))
        field(&o, "id.resp_p", String(r.resp.port))
        field(&o, "proto", JSON.string(r.proto.rawValue))
        field(&o, "trans_id", String(r.transID))
        if let rtt = r.rtt { field(&o, "rtt", interval(rtt)) }
        if let query = r.query { field(&o, "query", JSON.string(query)) }
        if let qclass = r.qclass {
            field(&o, "qclass", String(qclass))
            field(&o, "qclass_name", JSON.string(ZeekNames.qclass(qclass)))
        }
        if let qtype = r.qtype {
            field(&o, "qtype", String(qtype))
            field(&o, "qtype_name", JSON.string(ZeekNames.qtype(qtype)))
        }
        if let rcode = r.rcode {
            field(&o, "rcode", String(rcode))
            field(&o, "rcode_name", JSON.string(ZeekNames.rcode(rcode)))
        }
        field(&o, "AA", r.aa ? "true" : "false")
        field(&o, "TC", r.tc ? "true" : "false")
        field(&o, "RD", r.rd ? "true" : "false")
        field(&o, "RA", r.ra ? "true" : "false")
        field(&o, "Z", String(r.z))
        if !r.answers.isEmpty {
            field(&o, "answers", "[" + r.answers.map { JSON.string($0.text) }.joined(separator: ",") + "]")
            field(&o, "TTLs", "[" + r.answers.map { interval(Double($0.ttl)) }.joined(separator: ",") + "]")
        }
        field(&o, "rejected", r.rejected ? "true" : "false")
        if let a = r.airlock {
            field(&o, "airlock.domain", JSON.string(a.domain))
            field(&o, "airlock.grouped_by", JSON.string(a.groupedBy))
            if let sandbox = a.sandbox { field(&o, "airlock.sandbox", JSON.string(sandbox)) }
            field(&o, "airlock.name_score", JSON.number(a.nameScore))
            field(&o, "airlock.domain_score", JSON.number(a.domainScore))
            if a.exempt { field(&o, "airlock.exempt", "true") }
            if let verdict = a.verdict {
                field(&o, "airlock.verdict", JSON.string(verdict))
                if let rule = a.rule { field(&o, "airlock.rule", JSON.string(rule)) }
                if let score = a.score { field(&o, "airlock.score", JSON.number(score)) }
                field(&o, "airlock.alert", a.alert ? "true" : "false")
                if !a.campaign.isEmpty {
                    field(&o, "airlock.campaign", "[" + a.campaign.map(JSON.string).joined(separator: ",") + "]")
                }
            }
        }
        return o + "}"
    }

    private static func field(_ o: inout String, _ name: String, _ value: String, first: Bool = false) {
        if !first { o += "," }
        o += "\""
        o += name
        o += "\":"
        o += value
    }

    /// Epoch seconds with up to six decimals (trailing zeros dropped, one kept: `1700000000.0`).
    static func seconds(_ nanoseconds: Int64) -> String {
        let micros = (nanoseconds + (nanoseconds >= 0 ? 500 : -500)) / 1000
        let whole = micros / 1_000_000
        var fraction = String(abs(micros % 1_000_000))
        fraction = String(repeating: "0", count: 6 - fraction.count) + fraction
        while fraction.count > 1 && fraction.hasSuffix("0") { fraction.removeLast() }
        return (micros < 0 && whole == 0 ? "-" : "") + String(whole) + "." + fraction
    }

    /// An interval in seconds, microsecond precision, as Zeek writes it (`300.0`, `0.012345`).
    static func interval(_ value: Double) -> String {
        seconds(Int64((value * 1e9).rounded()))
    }
}
