import AirlockEngine
import AirlockEvents
import Testing

@testable import AirlockAlerts

@Suite struct SyslogFormatterTests {
    let formatter = SyslogFormatter(facility: 16, hostname: "airlock-host", processID: "4242")

    @Test func rfc5424HeaderAndStructuredData() {
        let alert = FormatTests.sampleAlerts().first { $0.kind == .tunnel }!
        let text = String(decoding: formatter.format(alert, message: "hello"), as: UTF8.self)
        // <PRI>VERSION SP TIMESTAMP SP HOSTNAME SP APP-NAME SP PROCID SP MSGID SP SD SP MSG
        let pattern = #"^<131>1 \d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z airlock-host airlock 4242 dns-tunnel \[airlock@32473 [^\]]*\] hello$"#
        #expect(text.range(of: pattern, options: .regularExpression) != nil, "\(text)")
        #expect(text.contains("id=\"\(alert.id)\""))
        #expect(text.contains("rule=\"dns.tunnel.domain_score\""))
        #expect(text.contains("verdict=\"tunnel\""))
        #expect(text.contains("domain=\"pirate.sea\""))
        #expect(text.contains("sandbox=\"agent-1\""))
    }

    @Test func paramValuesAreEscapedAndHeaderFieldsCleaned() {
        #expect(SyslogFormatter.escapeParam(#"a"b\c]d"#) == #"a\"b\\c\]d"#)
        #expect(SyslogFormatter.field("my host", 255) == "myhost")
        #expect(SyslogFormatter.field("", 10) == "-")
        #expect(SyslogFormatter.field(String(repeating: "x", count: 40), 32).count == 32)
    }

    @Test func longMessagesAreCutOnCharacterBoundaries() {
        var small = formatter
        small.maxMessageBytes = 480
        let alert = FormatTests.sampleAlerts()[0]
        let bytes = small.format(alert, message: String(repeating: "é", count: 1000))
        #expect(bytes.count <= 480)
        #expect(String(validating: bytes, as: UTF8.self) != nil)
    }

    @Test func octetCountingFrame() {
        #expect(SyslogFormatter.octetCounted(Array("<13>1 - - - - - - hi".utf8)) == Array("20 <13>1 - - - - - - hi".utf8))
    }
}
