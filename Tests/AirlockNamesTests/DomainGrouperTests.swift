import AirlockEvents
import AirlockNames
import Testing

@Suite struct DomainGrouperTests {
    let grouper = DomainGrouper()
    let server = Endpoint(address: IPAddress("198.18.0.53")!, port: 53)

    func key(_ name: String) -> DomainKey { grouper.key(for: DNSName(name)!, server: server) }

    @Test func registeredDomainsComeFromThePublicSuffixList() {
        #expect(key("a.b.example.co.uk") == DomainKey(value: "example.co.uk", kind: .registeredDomain, labelCount: 3))
        #expect(key("WWW.Example.COM") == DomainKey(value: "example.com", kind: .registeredDomain, labelCount: 2))
        #expect(key("x.y.github.io").value == "y.github.io")
        #expect(key("co.uk").kind == .suffixOnly)
        // .za is listed only below the TLD: the registered domain is still eTLD+1.
        #expect(key("www.locksmith24-7.co.za") == DomainKey(value: "locksmith24-7.co.za", kind: .registeredDomain, labelCount: 3))
    }

    @Test func unlistedButPlausibleSuffixesGroupByTheirLastTwoLabels() {
        #expect(key("laegpumiplhhpz12ynd1efljwlkjcgwy.pirate.sea") == DomainKey(value: "pirate.sea", kind: .unlistedSuffix, labelCount: 2))
        #expect(key("printer.lan").value == "printer.lan")
    }

    @Test func namesWithoutAUsableSuffixGroupByTheServer() {
        let k = key("dnscat.546b03f50000000000a6023ed4df184d6ac5c2628b47714fdee584fed739.19e4d098dc8c618f8d81cfeb02")
        #expect(k == DomainKey(value: "198.18.0.53", kind: .serverAddress, labelCount: 0))
        #expect(key("wpad").kind == .serverAddress)
    }

    @Test func reverseLookupsShareOneGroupPerTree() {
        #expect(key("4.3.2.1.in-addr.arpa").value == "in-addr.arpa")
        #expect(key("b.a.9.8.7.6.5.0.4.0.0.0.3.0.0.0.2.0.0.0.1.0.0.0.0.0.0.0.1.2.3.4.ip6.arpa").value == "ip6.arpa")
    }

    /// One label whose bytes end like `\7in-addr\4arpa` is not a reverse lookup: its key must never
    /// cover more labels than the name has (found by the dns_pipeline fuzzer; such a name escaped
    /// lexical scoring altogether).
    @Test func aLabelThatMerelyEndsLikeTheReverseTreeIsNotUnderIt() {
        let label = [0x03] + Array("216".utf8) + [0x07] + Array("in-addr".utf8) + [0x04] + Array("arpa".utf8)
        let name = DNSName(labels: [label])!
        let k = grouper.key(for: name, server: server)
        #expect(k.value != "in-addr.arpa")
        #expect(k.labelCount <= name.labelCount)
        let two = DNSName(labels: [Array("x".utf8), [0x03] + Array("ip6".utf8) + [0x04] + Array("arpa".utf8)])!
        #expect(grouper.key(for: two, server: server).value != "ip6.arpa")
    }

    @Test func binaryLabelsBelowTheDomainDoNotConfuseTheLookup() {
        let name = DNSName(labels: [[0xE4, 0x41, 0xFF], Array("tun".utf8), Array("example".utf8), Array("com".utf8)])!
        #expect(grouper.key(for: name, server: server).value == "example.com")
    }
}
