import AirlockEvents
import AirlockNames
import Testing

/// A name of exactly five labels is its own cache tail, and so is every longer name's last five labels:
/// a key that holds only for the five-label name (it is a public suffix itself) must not be cached.
@Suite struct GroupingCachePoisonTests {
    let server = Endpoint(address: IPAddress("198.18.0.53")!, port: 53)

    func check(_ first: DNSName, then second: DNSName) {
        var cache = GroupingCache(capacity: 1024)
        let grouper = DomainGrouper()
        #expect(cache.key(for: first, server: server) == grouper.key(for: first, server: server))
        let cached = cache.key(for: second, server: server), uncached = grouper.key(for: second, server: server)
        #expect(cached == uncached, "\(second): cache \(cached.kind) \(cached.value)/\(cached.labelCount), grouper \(uncached.kind) \(uncached.value)/\(uncached.labelCount)")
    }

    /// A five-label public suffix (private section: `s3.dualstack.ap-northeast-1.amazonaws.com`) asked
    /// first: every registered domain under it then came back as the suffix.
    @Test func aFiveLabelPublicSuffixDoesNotSwallowTheDomainsUnderIt() {
        check(DNSName("s3.dualstack.ap-northeast-1.amazonaws.com")!, then: DNSName("tunnel.s3.dualstack.ap-northeast-1.amazonaws.com")!)
    }

    /// List-independent: binary labels over `co.uk` give a suffix-only key counting the whole name.
    @Test func aSuffixOnlyKeyCountingFiveLabelsIsNotReusedForSixLabels() {
        let binary: [UInt8] = [0xFF]
        check(DNSName(labels: [binary, binary, binary, Array("co".utf8), Array("uk".utf8)])!,
              then: DNSName(labels: [Array("a".utf8), binary, binary, binary, Array("co".utf8), Array("uk".utf8)])!)
    }
}
