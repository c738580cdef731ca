import AirlockEngine
import AirlockEvents
import AirlockPolicy

/// The line of a plain decision — no policy basis, verdict, detail or stripped parts, and no value
/// that needs a JSON escape: what `--log-level all` writes for nearly every query — written in one
/// go into space reserved for it, byte for byte the line ``DecisionFormat`` writes field by field.
///
/// Field by field, every key and value was its own append to the batch's array (a uniqueness and
/// capacity check each, and a call to copy a string's bytes): ~50 appends a line, most of what
/// logging every query cost in user time. Here the array is grown once per line and the bytes go
/// into an `OutputSpan`. Anything unusual goes the general way (``DecisionFormat/append(_:to:)``).
extension DecisionFormat {
    /// Appends `record`'s line when it is plain, and says whether it did (nothing written when not).
    static func appendPlain(
        _ record: DNSDecisionRecord, to buffer: inout [UInt8], clock: inout JSONLineFields.Clock
    ) -> Bool {
        guard record.basis == nil, record.verdict == nil, record.detail == nil, record.stripped == nil else {
            return false
        }
        let qtype = record.qtype.map(DNSRecordType.name)
        let domain = record.domain?.value
        let rcode = record.rcode.map(rcodeName)
        let client: String? = record.client.address.isIPv4 ? nil : record.client.description
        guard isPlain(record.sandbox), isPlain(qtype), isPlain(domain), isPlain(client),
            record.name.map(JSONLineFields.isPlain) ?? true
        else { return false }
        // The constant part is < 400 bytes; a name's presentation form is at most its wire length + 1.
        let bound =
            512 + (record.sandbox?.utf8.count ?? 0) + (qtype?.utf8.count ?? 0) + (domain?.utf8.count ?? 0)
            + (client?.utf8.count ?? 0) + (rcode?.utf8.count ?? 0) + (record.name?.wire.count ?? 0)
            + record.policyVersion.utf8.count
        buffer.append(addingCapacity: bound) { out in
            put(#"{"time":"#, &out)
            clock.append(record.time, to: &out)
            put(#","event":"dns_decision","stage":""#, &out)
            put(record.stage.rawValue, &out)
            put(#"","action":""#, &out)
            put(record.action.rawValue, &out)
            put(#"","sandbox":"#, &out)
            putString(record.sandbox, &out)
            put(#","client":"#, &out)
            if let client {
                putString(client, &out)
            } else {
                JSONLineFields.append(record.client, to: &out)
            }
            put(#","transport":""#, &out)
            put(record.transport.rawValue, &out)
            put(#"","name":"#, &out)
            if let name = record.name {
                JSONLineFields.appendPlain(name, to: &out)
            } else {
                put("null", &out)
            }
            put(#","qtype":"#, &out)
            putString(qtype, &out)
            put(#","domain":"#, &out)
            putString(domain, &out)
            put(#","rule":null,"reason":null,"mode":"#, &out)
            putString(record.mode?.rawValue, &out)
            put(#","rcode":"#, &out)
            putString(rcode, &out)
            put(#","cached":"#, &out)
            put(record.cached ? "true" : "false", &out)
            put(#","alert":"#, &out)
            put(record.alert ? "true" : "false", &out)
            put(#","verdict":null,"policy_version":"sha256:"#, &out)
            put(record.policyVersion, &out)
            put("\"}\n", &out)
        }
        return true
    }

    /// Printable ASCII without `"` or `\` (or nil): written as it is.
    static func isPlain(_ s: String?) -> Bool {
        guard let s else { return true }
        let bytes = s.utf8.span
        for i in bytes.indices {
            let b = bytes[i]
            if b < 0x20 || b >= 0x7F || b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") { return false }
        }
        return true
    }

    /// `s`'s bytes as they are.
    private static func put(_ s: String, _ out: inout OutputSpan<UInt8>) {
        let bytes = s.utf8.span
        for i in bytes.indices { out.append(bytes[i]) }
    }

    /// A plain string in quotes, or `null`.
    private static func putString(_ s: String?, _ out: inout OutputSpan<UInt8>) {
        guard let s else { return put("null", &out) }
        out.append(UInt8(ascii: "\""))
        put(s, &out)
        out.append(UInt8(ascii: "\""))
    }
}
