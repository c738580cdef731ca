// Alerts carry names, rules, sandboxes and evidence that an agent chose (a DNS label may hold any
// byte: quotes, backslashes, brackets, newlines, invalid UTF-8) into SIEMs. The OCSF and EVE
// encoders and the RFC 5424 syslog formatter must keep every such value inside its field.
//
// Input: [alert kind byte][action byte][score byte], then [2-byte length][bytes] runs for the query
// name (labels split at 0x00 bytes), the rule, the sandbox and an evidence feature. Checks: OCSF and
// EVE records are single-line JSON objects; the syslog message has no line break and its
// structured data is well formed, with `"`, `\` and `]` escaped in every value.
import AirlockAlerts
import AirlockEnforcement
import AirlockEngine
import AirlockEvents
import Foundation

private let syslog = SyslogFormatter(hostname: "airlock-host", processID: "4242")

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzAlertEncoding(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    let kind = AlertKind.allCases[Int(input.byte()) % AlertKind.allCases.count]
    let action = DecisionAction.allCases[Int(input.byte()) % DecisionAction.allCases.count]
    let score = Double(input.byte()) / 64
    let labels = input.chunk().split(separator: 0, omittingEmptySubsequences: true).map { Array($0.prefix(63)) }
    let name = DNSName(labels: labels.prefix(8)) ?? DNSName(labels: [[UInt8]]())!
    let rule = String(decoding: input.chunk(), as: UTF8.self)
    let sandbox = String(decoding: input.chunk(), as: UTF8.self)
    let feature = String(decoding: input.chunk(), as: UTF8.self)
    let evidence = [Evidence(feature: feature, value: score, threshold: 1, contribution: score)]
    let time = Timestamp(nanoseconds: fuzzEpoch)
    let verdict = Verdict(
        kind: .tunnel, rule: rule, score: score, threshold: 1,
        domain: DomainKey(
            value: name.description, kind: .registeredDomain, labelCount: name.labelCount),
        evidence: evidence, isFirst: true, queries: 12, nameBytes: 600)
    let decision = DecisionEvent(
        time: time, source: .dns, sandbox: sandbox.isEmpty ? nil : SandboxID(sandbox),
        client: Endpoint(address: IPAddress("198.18.1.7")!, port: 40_000),
        request: .dns(name: name.description, qtype: 16, transport: .udp), action: action, reason: .detection,
        rule: rule, verdict: verdict, evidence: evidence, policyVersion: "sha256:00", domain: name.description,
        queries: 12, nameBytes: 600)
    let alert = Alert(
        id: "a1", kind: kind, phase: .first, decision: decision, count: 1, firstTime: time, lastTime: time,
        windowStart: time, windowEnd: time, sequence: 1)

    let ocsf = OCSFEncoder().encode(alert).rendered
    let eve = EVEEncoder().encode(alert).rendered
    for (format, text) in [("OCSF", ocsf), ("EVE", eve)] {
        require(!text.utf8.contains(0x0A) && !text.utf8.contains(0x0D), "\(format) record with a line break")
        require(isJSONObject(Array(text.utf8)), "\(format) record that is not a JSON object: \(text)")
    }
    let message = syslog.format(alert, message: ocsf)
    require(!message.contains(0x0A) && !message.contains(0x0D), "syslog message with a line break")
    checkStructuredData(message)
    return 0
}

/// `<PRI>1 TIMESTAMP HOST APP PROCID MSGID [SD-ID (SP NAME="VALUE")*] MSG`: the six header fields,
/// then one SD-ELEMENT whose values escape `"`, `\` and `]` (RFC 5424 §6.3.3).
private func checkStructuredData(_ message: [UInt8]) {
    var position = 0
    for _ in 0..<6 {
        guard let space = message[position...].firstIndex(of: 0x20) else {
            return require(false, "syslog header ends early: \(String(decoding: message, as: UTF8.self))")
        }
        position = space + 1
    }
    require(position < message.count && message[position] == UInt8(ascii: "["), "no structured data")
    position += 1
    var inValue = false
    while position < message.count {
        let byte = message[position]
        if inValue {
            if byte == UInt8(ascii: "\\") {
                position += 2
                continue
            }
            require(byte != UInt8(ascii: "]"), "an unescaped ] inside a parameter value")
            if byte == UInt8(ascii: "\"") { inValue = false }
        } else if byte == UInt8(ascii: "\"") {
            require(position > 0 && message[position - 1] == UInt8(ascii: "="), "a quote outside name=\"value\"")
            inValue = true
        } else if byte == UInt8(ascii: "]") {
            require(position + 1 < message.count && message[position + 1] == 0x20, "no space after the SD-ELEMENT")
            return
        }
        position += 1
    }
    require(false, "structured data never closed")
}
