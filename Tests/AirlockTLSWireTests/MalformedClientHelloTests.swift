import AirlockTLSWire
import Testing

/// Each malformation is one change from a valid hello and must map to its stable reason.
@Suite struct MalformedClientHelloTests {
    static func malformed(_ input: [UInt8]) -> TLSParseError? {
        if case .malformed(let e) = ClientHelloParser.parse(input) { return e }
        return nil
    }

    static func setBodyLength(_ message: inout [UInt8]) {
        let n = message.count - 4
        message[1] = UInt8(n >> 16)
        message[2] = UInt8((n >> 8) & 0xFF)
        message[3] = UInt8(n & 0xFF)
    }

    @Test func recordLayer() {
        let valid = HelloBuilder().stream()
        var v = valid
        v[3] = 0
        v[4] = 0
        #expect(Self.malformed(v) == .emptyRecord)
        v = valid
        v[3] = 0x40
        v[4] = 0x01
        #expect(Self.malformed(v) == .recordTooLong)
        // Second record with a different content type (application data before the hello ended).
        let message = HelloBuilder().message
        var two = records(Array(message[..<10]), fragment: 10)
        two += [23, 3, 3, 0, 1, 0]
        #expect(Self.malformed(two) == .unexpectedRecordType)
        #expect(Self.malformed(records(Array(message[..<10]), fragment: 10) + [23]) == .unexpectedRecordType)
        var badVersion = records(Array(message[..<10]), fragment: 10)
        badVersion += [22, 2, 0, 0, 1, 0]
        #expect(Self.malformed(badVersion) == .invalidRecordVersion)
    }

    @Test func handshakeLayer() {
        var serverHello = HelloBuilder().message
        serverHello[0] = 2
        #expect(Self.malformed(records(serverHello, fragment: 16_384)) == .notClientHello)
        // The type is checked as soon as its byte arrives, even before the rest.
        #expect(Self.malformed([22, 3, 1, 0, 50, 2]) == .notClientHello)
        #expect(Self.malformed([22, 3, 1, 0, 4, 1, 0x01, 0x00, 0x01]) == .handshakeTooLong)
        #expect(
            ClientHelloParser.parse([22, 3, 1, 0, 4, 1, 0x01, 0x00, 0x00])
                == .needMoreData(minimumTotal: 9 + 5 + 65_536))
    }

    @Test func bodyFields() {
        var b = HelloBuilder()
        b.sessionID = Array(repeating: 0, count: 33)
        #expect(Self.malformed(b.stream()) == .invalidSessionID)
        b = HelloBuilder()
        b.cipherSuites = []
        #expect(Self.malformed(b.stream()) == .invalidCipherSuites)
        b = HelloBuilder()
        b.compression = []
        #expect(Self.malformed(b.stream()) == .invalidCompressionMethods)

        // Odd cipher suite length: patch the length field of a valid body.
        var message = HelloBuilder().message
        let suitesLengthAt = 4 + 2 + 32 + 1 + 32
        message[suitesLengthAt + 1] = 5
        #expect(Self.malformed(records(message, fragment: 16_384)) == .invalidCipherSuites)

        // Handshake length shorter than the fields: a vector runs past the end.
        message = HelloBuilder().message
        message.removeLast(message.count - 4 - 40)
        Self.setBodyLength(&message)
        #expect(Self.malformed(records(message, fragment: 16_384)) == .truncatedClientHello)
    }

    @Test func extensionsBlock() {
        var b = HelloBuilder()
        b.extensions = [HelloBuilder.serverName("a.example")]
        var message = b.message
        message += [0xAB]  // one byte after the extensions block
        Self.setBodyLength(&message)
        #expect(Self.malformed(records(message, fragment: 16_384)) == .extensionsLengthMismatch)

        // An extension whose length runs past the block.
        b = HelloBuilder()
        b.extensions = [(0x0017, [])]
        message = b.message
        message[message.count - 1] = 9
        #expect(Self.malformed(records(message, fragment: 16_384)) == .truncatedExtension)

        // Fewer than four bytes left for an extension header.
        b = HelloBuilder()
        b.extensions = [(0x0017, [])]
        message = b.message
        message.removeLast(1)
        message[message.count - 5] = 0
        message[message.count - 4] = 3  // extensions length 3
        Self.setBodyLength(&message)
        #expect(Self.malformed(records(message, fragment: 16_384)) == .truncatedExtension)

        b = HelloBuilder()
        b.extensions = [HelloBuilder.serverName("a.example"), (0x0017, []), HelloBuilder.serverName("b.example")]
        #expect(Self.malformed(b.stream()) == .duplicateExtension)
    }

    @Test func serverNameExtension() {
        var b = HelloBuilder()
        b.extensions = [(0, [0, 0])]  // empty list
        #expect(Self.malformed(b.stream()) == .malformedServerName)
        b.extensions = [(0, [0, 9, 0, 0, 3, 0x61, 0x62, 0x63])]  // list length too long
        #expect(Self.malformed(b.stream()) == .malformedServerName)
        b.extensions = [(0, [0, 6, 0, 0, 9, 0x61, 0x62, 0x63])]  // name length past the list
        #expect(Self.malformed(b.stream()) == .malformedServerName)
        b.extensions = [(0, [0, 2, 0, 0])]  // entry header cut short
        #expect(Self.malformed(b.stream()) == .malformedServerName)
        b.extensions = [(0, [0])]
        #expect(Self.malformed(b.stream()) == .malformedServerName)
    }

    @Test func alpnExtension() {
        var b = HelloBuilder()
        b.extensions = [HelloBuilder.alpn([[]])]  // empty protocol id
        #expect(Self.malformed(b.stream()) == .malformedALPN)
        b.extensions = [(16, [0, 0])]
        #expect(Self.malformed(b.stream()) == .malformedALPN)
        b.extensions = [(16, [0, 4, 2, 0x68, 0x32])]
        #expect(Self.malformed(b.stream()) == .malformedALPN)
        b.extensions = [(16, [0, 3, 5, 0x68, 0x32])]
        #expect(Self.malformed(b.stream()) == .malformedALPN)
    }

    @Test func supportedVersionsExtension() {
        var b = HelloBuilder()
        b.extensions = [(43, [3, 3, 4, 3])]
        #expect(Self.malformed(b.stream()) == .malformedSupportedVersions)
        b.extensions = [(43, [])]
        #expect(Self.malformed(b.stream()) == .malformedSupportedVersions)
        b.extensions = [(43, [4, 3, 4])]
        #expect(Self.malformed(b.stream()) == .malformedSupportedVersions)
    }

    @Test func notTLSAndSSLv2() {
        #expect(ClientHelloParser.parse(Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8)) == .notTLS)
        #expect(ClientHelloParser.parse(Array("SSH-2.0-OpenSSH_9.2\r\n".utf8)) == .notTLS)
        #expect(ClientHelloParser.parse([0x16, 0x01, 0x00, 0x00, 0x10]) == .notTLS)
        #expect(ClientHelloParser.parse([0x47]) == .notTLS)
        #expect(ClientHelloParser.parse([UInt8]()) == .needMoreData(minimumTotal: 5))
        #expect(ClientHelloParser.parse([0x16, 0x03]) == .needMoreData(minimumTotal: 9))
        // A DNS-over-TCP query (length prefix then header) is not TLS.
        #expect(ClientHelloParser.parse([0x00, 0x1D, 0x12, 0x34, 0x01, 0x00]) == .notTLS)

        // SSLv2-compatible CLIENT-HELLO offering TLS 1.0 (as old OpenSSL sent with SSLv23 methods).
        var v2: [UInt8] = [0x80, 0x2E, 0x01, 0x03, 0x01, 0x00, 0x15, 0x00, 0x00, 0x00, 0x10]
        v2 += Array(repeating: 0x00, count: 21) + Array(repeating: 0xAB, count: 16)
        #expect(ClientHelloParser.parse(v2) == .unsupported(.sslv2ClientHello))
        #expect(ClientHelloParser.parse([0x80, 0x2E, 0x01, 0x00, 0x02]) == .unsupported(.sslv2ClientHello))
        #expect(ClientHelloParser.parse([0x80, 0x2E, 0x01]) == .needMoreData(minimumTotal: 5))
        #expect(ClientHelloParser.parse([0x80, 0x2E, 0x04, 0x03, 0x01]) == .notTLS)
        #expect(ClientHelloParser.parse([0x80, 0x2E, 0x01, 0x03, 0x09]) == .notTLS)
    }

    @Test func reasonsAreStableSnakeCase() {
        let reasons = TLSParseError.allCases.map(\.rawValue)
        #expect(Set(reasons).count == reasons.count)
        for reason in reasons {
            #expect(!reason.isEmpty && reason.allSatisfy { $0 == "_" || ($0.isLowercase && $0.isASCII) || $0.isNumber })
        }
        #expect(TLSParseError.duplicateExtension.rawValue == "duplicate_extension")
        #expect(TLSParseError.allCases.allSatisfy { $0.description.count > 20 })
    }
}
