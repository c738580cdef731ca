import AirlockTLSWire
import Testing

/// SNI text is attacker-controlled: it is lower-cased, escaped, and flagged rather than trusted.
@Suite struct ServerNameTests {
    static func name(_ raw: [UInt8]) -> ServerName { ServerName(bytes: raw.span) }
    static func name(_ text: String) -> ServerName { name(Array(text.utf8)) }

    @Test func plausibleNamesAreLowerCasedWithoutIssues() {
        let n = Self.name("WWW.Example-Site.CO.uk")
        #expect(n.hostName == "www.example-site.co.uk" && n.isPlausibleHostName)
        #expect(Self.name("_dmarc.x9.example").isPlausibleHostName)
        #expect(Self.name("xn--bcher-kva.example").isPlausibleHostName)
        #expect(Self.name("a").isPlausibleHostName)
    }

    @Test(arguments: [
        ("", ServerNameIssues.empty),
        ("good.example\u{0}.evil.example", .embeddedNUL),
        ("bad name.example", .invalidCharacter),
        ("a/b.example", .invalidCharacter),
        (".example.com", .emptyLabel),
        ("a..example.com", .emptyLabel),
        ("example.com.", .trailingDot),
        ("192.0.2.1", .ipAddressLiteral),
        (String(repeating: "a", count: 64) + ".example", .labelTooLong),
    ])
    func flaggedNames(text: String, issue: ServerNameIssues) {
        let n = Self.name(text)
        #expect(n.issues.contains(issue), "\(text): \(n.issues)")
        #expect(!n.isPlausibleHostName)
    }

    @Test func ipv6LiteralIsFlagged() {
        let n = Self.name("2001:db8::1")
        #expect(n.issues.contains(.ipAddressLiteral) && n.issues.contains(.invalidCharacter))
    }

    @Test func nameLengthLimit() {
        let label = String(repeating: "a", count: 63)
        let ok = [label, label, label, String(repeating: "b", count: 61)].joined(separator: ".")  // 253
        #expect(ok.utf8.count == 253 && Self.name(ok).isPlausibleHostName)
        #expect(Self.name(ok + ".").issues == .trailingDot)
        #expect(Self.name(ok + "b").issues == .nameTooLong)
    }

    @Test func nonPrintableBytesAreEscapedAndFlagged() {
        let n = Self.name([0x41, 0x00, 0x62, 0xC3, 0xA9, 0x5C, 0x0A])
        #expect(n.hostName == "a\\000b\\195\\169\\092\\010")
        #expect(n.issues == [.embeddedNUL, .nonASCII, .invalidCharacter])
        #expect(n.description == "a\\000b\\195\\169\\092\\010 [embedded_nul,non_ascii,invalid_character]")
    }

    @Test func issuesNamedInBitOrder() {
        #expect(ServerNameIssues.names.count == 9)
        #expect(ServerNameIssues([.trailingDot, .empty]).description == "empty,trailing_dot")
        #expect(ServerNameIssues().description == "")
    }

    /// Through the parser: an empty host_name is kept (flagged), not a parse failure.
    @Test func emptyHostNameInAHello() throws {
        var b = HelloBuilder()
        b.extensions = [HelloBuilder.serverName([[]])]
        let hello = try #require(ClientHelloParser.parse(b.stream()).hello)
        #expect(hello.serverNames == [ServerName(hostName: "", issues: .empty)])
    }
}
