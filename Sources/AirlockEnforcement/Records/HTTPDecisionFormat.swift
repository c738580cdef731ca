import AirlockEngine
import AirlockEvents

/// One JSON object per line, the same shape of line the DNS proxy writes (`event: http_decision`):
///
/// ```
/// {"time":"…","event":"http_decision","stage":"tls","action":"block","sandbox":"agent-1",
///  "identity":"address","client":"198.18.1.2:40112","method":"CONNECT","host":"api.example.com","port":443,
///  "destination":"198.18.100.10:443","sni":"evil.example","rule":"http.sni_mismatch","kind":"sni-mismatch",
///  "reason":"…","mode":"enforce","status":null,"evidence":[],"policy_version":"sha256:…"}
/// ```
public enum HTTPDecisionFormat {
    public static func append(_ r: HTTPDecisionRecord, to buffer: inout [UInt8]) {
        var line = JSONLine(into: &buffer)
        line.add("time", r.time.description)
        line.add("event", "http_decision")
        line.add("stage", r.stage.rawValue)
        line.add("action", r.action.rawValue)
        line.add("sandbox", r.sandbox)
        line.add("identity", r.identity)
        line.add("client", r.client.description)
        line.add("method", r.method)
        line.add("host", r.host)
        line.add("port", r.port.map(Int.init))
        if let path = r.path { line.add("path", path) }
        line.add("destination", r.destination?.description)
        line.add("sni", r.sni)
        line.add("rule", r.rule)
        line.add("kind", r.kind.rawValue)
        line.add("reason", r.reason)
        line.add("mode", r.mode?.rawValue)
        line.add("status", r.status)
        if let up = r.bytesUp { line.add("bytes_up", up) }
        if let down = r.bytesDown { line.add("bytes_down", down) }
        if let seconds = r.durationSeconds { line.add("duration_ms", Int((seconds * 1000).rounded())) }
        var evidence = "["
        for (i, e) in r.evidence.enumerated() {
            if i > 0 { evidence += "," }
            evidence += "{\"feature\":" + JSON.string(e.feature) + ",\"value\":" + JSON.number(e.value)
            evidence += ",\"threshold\":" + JSON.number(e.threshold) + "}"
        }
        line.add("evidence", raw: evidence + "]")
        line.add("policy_version", "sha256:" + r.policyVersion)
        line.finish(into: &buffer)
    }

    public static func string(_ record: HTTPDecisionRecord) -> String {
        var buffer: [UInt8] = []
        append(record, to: &buffer)
        return String(decoding: buffer.dropLast(), as: UTF8.self)
    }
}
