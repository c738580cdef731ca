import AirlockTLSWire
import Testing

/// Fields built one at a time: GREASE, ECH/ESNI, multiple names, hellos without extensions.
@Suite struct ClientHelloFieldTests {
    @Test func greaseIsDroppedFromListsButRemembered() throws {
        var b = HelloBuilder()
        b.cipherSuites = [0x3A3A, 0x1301, 0x1302]
        b.extensions = [
            (0x5A5A, []),
            HelloBuilder.serverName("example.com"),
            HelloBuilder.alpn([[0x7A, 0x7A], Array("h2".utf8)]),
            HelloBuilder.supportedVersions([0x8A8A, 0x0304, 0x0303]),
            (0xEAEA, [0]),
        ]
        let hello = try #require(ClientHelloParser.parse(b.stream()).hello)
        #expect(hello.usesGREASE)
        #expect(hello.cipherSuiteCount == 3)
        #expect(hello.alpnProtocols == ["h2"])
        #expect(hello.supportedVersions == [0x0304, 0x0303])
        #expect(hello.extensionTypes == [0x5A5A, 0, 16, 43, 0xEAEA])
        #expect(hello.highestVersion == TLSVersion.tls13)
    }

    @Test func greaseValues() {
        let all = (0..<16).map { UInt16($0) << 12 | 0x0A00 | UInt16($0) << 4 | 0x0A }
        #expect(all.first == 0x0A0A && all.last == 0xFAFA)
        #expect(all.allSatisfy(GREASE.isGREASE))
        #expect(!GREASE.isGREASE(0x0A1A) && !GREASE.isGREASE(0x1301) && !GREASE.isGREASE(0x0B0B))
    }

    @Test func encryptedClientHelloWithOuterSNI() throws {
        var b = HelloBuilder()
        b.extensions = [HelloBuilder.serverName("public.example.net"), (0xFE0D, [0, 0, 1, 0, 1, 7])]
        let hello = try #require(ClientHelloParser.parse(b.stream()).hello)
        #expect(hello.hasEncryptedClientHello && !hello.hasEncryptedServerName && hello.hidesServerName)
        #expect(hello.serverName?.hostName == "public.example.net")
    }

    @Test func encryptedServerNameDraft() throws {
        var b = HelloBuilder()
        b.extensions = [(0xFFCE, [0x13, 0x01])]
        let hello = try #require(ClientHelloParser.parse(b.stream()).hello)
        #expect(hello.hasEncryptedServerName && !hello.hasEncryptedClientHello && hello.hidesServerName)
        #expect(!hello.hasServerNameExtension)
    }

    @Test func multipleHostNamesAreAllReported() throws {
        var b = HelloBuilder()
        b.extensions = [HelloBuilder.serverName([Array("allowed.example".utf8), Array("evil.example".utf8)])]
        let hello = try #require(ClientHelloParser.parse(b.stream()).hello)
        #expect(hello.hasMultipleHostNames)
        #expect(hello.serverNames.map(\.hostName) == ["allowed.example", "evil.example"])
        #expect(hello.serverName?.hostName == "allowed.example")
    }

    @Test func nonHostNameEntriesAreSkipped() throws {
        var b = HelloBuilder()
        b.extensions = [HelloBuilder.serverName([Array("x.example".utf8)], nameType: 7)]
        let hello = try #require(ClientHelloParser.parse(b.stream()).hello)
        #expect(hello.hasServerNameExtension && hello.serverNames.isEmpty)
    }

    @Test func helloWithoutExtensionsBlock() throws {
        var b = HelloBuilder()
        b.includeExtensionsBlock = false
        b.legacyVersion = TLSVersion.tls10
        b.sessionID = []
        let hello = try #require(ClientHelloParser.parse(b.stream()).hello)
        #expect(hello.extensionTypes.isEmpty && hello.serverName == nil && !hello.hasServerNameExtension)
        #expect(hello.highestVersion == TLSVersion.tls10 && hello.sessionIDLength == 0)
    }

    @Test func alpnBytesOutsidePrintableASCIIAreEscaped() throws {
        var b = HelloBuilder()
        b.extensions = [HelloBuilder.alpn([[0x64, 0x6F, 0x00, 0x74], [0x5C], Array("DoT".utf8)])]
        let hello = try #require(ClientHelloParser.parse(b.stream()).hello)
        #expect(hello.alpnProtocols == ["do\\000t", "\\092", "DoT"])
    }

    @Test func spanAndArrayEntryPointsAgree() {
        let input = HelloBuilder().stream()
        #expect(ClientHelloParser.parse(input.span) == ClientHelloParser.parse(input))
    }
}
