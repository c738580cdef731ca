import AirlockTLSWire
import Testing

/// Real hellos from the public captures: the parser must agree with tshark on every field both read.
@Suite struct RealClientHelloTests {
    @Test(arguments: realHellos.indices)
    func agreesWithTshark(index: Int) throws {
        let fixture = realHellos[index]
        let input = bytes(hex: fixture.hex)
        let hello = try #require(ClientHelloParser.parse(input).hello, "\(fixture.capture) frame \(fixture.frame)")

        #expect(hello.serverName?.hostName ?? "" == fixture.sni.lowercased())
        #expect(hello.serverNames.count == (fixture.sni.isEmpty ? 0 : 1))
        #expect(hello.serverName?.isPlausibleHostName ?? true)
        #expect(hello.alpnProtocols.joined(separator: ",") == fixture.alpn)
        let tsharkVersions = fixture.versions.split(separator: ",").compactMap { UInt16($0.dropFirst(2), radix: 16) }
        #expect(hello.supportedVersions == tsharkVersions.filter { !GREASE.isGREASE($0) })
        #expect(hello.cipherSuiteCount == fixture.cipherSuitesLength / 2)
        #expect(hello.extensionTypes.map(String.init).joined(separator: ",") == fixture.extensions)
        #expect(hello.hasServerNameExtension == hello.extensionTypes.contains(0))
        #expect(!hello.hidesServerName)
        #expect(hello.recordCount == 1)
        #expect(hello.byteCount == input.count)
        #expect(hello.recordVersion >> 8 == 3 && hello.legacyVersion == TLSVersion.tls12)
    }

    @Test func fixturesCoverTheCapturesTheBriefNames() {
        let captures = Set(realHellos.map(\.capture))
        #expect(
            captures.isSuperset(of: [
                "edge/ndpi_dns_doh.pcap", "edge/ndpi_doh.pcapng", "edge/ndpi_dns_dot.pcap",
                "edge/ndpi_dnscrypt-v2-doh.pcap", "tunnel/ndpi_dns2tcp_tunnel.pcap",
            ]))
        #expect(realHellos.count >= 30)
    }

    @Test func dohHelloFromFirefoxNamesMozillaCloudflare() throws {
        let fixture = try #require(realHellos.first { $0.capture == "edge/ndpi_dns_doh.pcap" })
        let hello = try #require(ClientHelloParser.parse(bytes(hex: fixture.hex)).hello)
        #expect(hello.serverName == ServerName(hostName: "mozilla.cloudflare-dns.com", issues: []))
        #expect(hello.alpnProtocols == ["h2", "http/1.1"])
        #expect(hello.offersTLS13)
        #expect(hello.highestVersion == TLSVersion.tls13)
    }

    @Test func dotHelloWithoutSNI() throws {
        let fixture = try #require(realHellos.first { $0.capture == "edge/ndpi_dns_dot.pcap" })
        let hello = try #require(ClientHelloParser.parse(bytes(hex: fixture.hex)).hello)
        #expect(hello.serverNames.isEmpty && !hello.hasServerNameExtension)
        #expect(hello.alpnProtocols.isEmpty)
        #expect(!hello.offersTLS13 && hello.highestVersion == TLSVersion.tls12)
        #expect(hello.recordVersion == TLSVersion.tls12)
    }

    @Test func openSSLHellos() throws {
        let plain = try #require(ClientHelloParser.parse(bytes(hex: OpenSSLHellos.plain)).hello)
        #expect(plain.serverNames.map(\.hostName) == ["x"])
        #expect(plain.supportedVersions == [0x0304, 0x0303, 0x0302, 0x0301])
        #expect(plain.cipherSuiteCount == 31)
        #expect(plain.extensionTypes == [0, 11, 10, 35, 22, 23, 13, 43, 45, 51])

        let dot = try #require(ClientHelloParser.parse(bytes(hex: OpenSSLHellos.tls13Dot)).hello)
        #expect(dot.serverName?.hostName == "dns.example.net")
        #expect(dot.alpnProtocols == ["dot"])
        #expect(dot.supportedVersions == [TLSVersion.tls13])
        #expect(dot.cipherSuiteCount == 4)

        let noSNI = try #require(ClientHelloParser.parse(bytes(hex: OpenSSLHellos.noSNI)).hello)
        #expect(!noSNI.hasServerNameExtension && noSNI.serverName == nil)
        #expect(noSNI.supportedVersions.isEmpty && noSNI.highestVersion == TLSVersion.tls12)
        #expect(noSNI.extensionTypes == [11, 10, 35, 22, 23, 13])
    }

    /// OpenSSL's `-max_send_frag 512` hello: one handshake message over two records, reassembled.
    @Test func openSSLFragmentedHello() throws {
        let input = bytes(hex: OpenSSLHellos.fragmented)
        let hello = try #require(ClientHelloParser.parse(input).hello)
        #expect(hello.recordCount == 2)
        #expect(hello.byteCount == input.count && input.count == 5 + 512 + 5 + 225)
        #expect(hello.serverName?.hostName == "frag.example.com")
        #expect(
            hello.alpnProtocols == [
                "h2", "http/1.1", String(repeating: "x", count: 200), String(repeating: "y", count: 200),
            ])
        #expect(hello.cipherSuiteCount == 31)
        #expect(hello.supportedVersions == [0x0304, 0x0303, 0x0302, 0x0301])
        // The first record alone is a valid prefix whose headers say how much more is needed.
        #expect(ClientHelloParser.parse(Array(input[..<517])) == .needMoreData(minimumTotal: 517 + 5 + 225))
    }
}
