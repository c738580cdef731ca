import AirlockEvents
import Testing

@testable import AirlockNames

@Suite struct PublicSuffixMemoTests {
    let grouper = DomainGrouper()
    let server = Endpoint(address: IPAddress("198.18.0.53")!, port: 53)

    /// Names where the list's special rules decide: a rule below an unlisted suffix (`forgot.his.name`),
    /// wildcards and their exceptions (`*.ck` / `!www.ck`, `*.kawasaki.jp` / `!city.kawasaki.jp`),
    /// private-section suffixes, a suffix listed only below its TLD (`.za`), an unlisted TLD.
    static let names = [
        "forgot.his.name", "a.forgot.his.name", "b.his.name", "his.name",
        "www.ck", "a.www.ck", "x.y.ck", "ck",
        "city.kawasaki.jp", "www.city.kawasaki.jp", "a.b.kawasaki.jp", "b.kawasaki.jp",
        "x.y.github.io", "github.io", "bucket.s3.amazonaws.com", "a.b.c.d.e.f.blogspot.com",
        "www.locksmith24-7.co.za", "co.za", "a.b.example.co.uk", "example.com", "com",
        "pirate.sea", "laegpumiplhhpz12ynd1efljwlkjcgwy.pirate.sea",
    ]

    /// The group as libpsl's own `psl_registrable_domain` gives it (how the grouper asked before the memo).
    func libpslRegistered(_ name: String) -> String? {
        PublicSuffixList.shared.registrableDomain(of: name)
    }

    @Test func theSuffixWalkFindsWhatPslRegistrableDomainFinds() {
        var memo = PublicSuffixMemo(capacity: 64)
        for round in 0..<2 {  // the second round answers from the memo
            for name in Self.names {
                let key = grouper.key(for: DNSName(name)!, server: server, memo: &memo)
                // The grouping before the memo: libpsl's registrable domain, if its suffix is listed.
                if let registered = libpslRegistered(name),
                    PublicSuffixList.shared.isListedSuffix(String(registered.drop(while: { $0 != "." }).dropFirst()))
                {
                    #expect(key.kind == .registeredDomain && key.value == registered, "\(name), round \(round)")
                } else {
                    #expect(key.kind != .registeredDomain, "\(name), round \(round)")
                }
                #expect(key == grouper.key(for: DNSName(name)!, server: server), "\(name), round \(round)")
            }
        }
        #expect(grouper.key(for: DNSName("a.forgot.his.name")!, server: server, memo: &memo).value == "a.forgot.his.name")
        #expect(grouper.key(for: DNSName("a.www.ck")!, server: server, memo: &memo).value == "www.ck")
        #expect(grouper.key(for: DNSName("www.city.kawasaki.jp")!, server: server, memo: &memo).value == "city.kawasaki.jp")
    }

    /// One slot: every suffix evicts the one before, and the answers must stay right.
    @Test func suffixesSharingASlotAreAskedAgainNotConfused() {
        var memo = PublicSuffixMemo(capacity: 1)
        for name in Self.names + Self.names.reversed() {
            #expect(grouper.key(for: DNSName(name)!, server: server, memo: &memo) == grouper.key(for: DNSName(name)!, server: server), "\(name)")
        }
    }

    @Test func eachQuestionIsAskedOncePerSuffix() {
        var memo = PublicSuffixMemo(capacity: 16)
        let wire = DNSName("c2.example.net")!.wire
        var asked = 0
        for _ in 0..<3 {
            #expect(!memo.answer(.isPublic, wire, from: 0) { asked += 1; return false })
        }
        #expect(asked == 1)
        // The other question about the same suffix is asked once, and answered apart from the first.
        for _ in 0..<3 {
            #expect(memo.answer(.isListed, wire, from: 0) { asked += 1; return true })
        }
        #expect(asked == 2)
        #expect(!memo.answer(.isPublic, wire, from: 0) { asked += 1; return true })
        // A suffix of it is another entry.
        #expect(memo.answer(.isPublic, wire, from: 3) { asked += 1; return true })
        #expect(asked == 3)
        // No memo: every question is asked.
        var none = PublicSuffixMemo.none
        for _ in 0..<2 { _ = none.answer(.isPublic, wire, from: 0) { asked += 1; return false } }
        #expect(asked == 5)
        #expect(memo.asked == 3 && none.asked == 2)
    }

    /// A tunnel's names differ in their data labels: after the first, each costs at most one question
    /// (about the suffix holding its data label), not a walk over every suffix.
    @Test func aTunnelsNamesAskAboutTheirDataLabelOnly() {
        var memo = PublicSuffixMemo(capacity: 256)
        var cache = GroupingCache(capacity: 256)
        for i in 0..<200 {
            let name = DNSName("q\(i)x\(i * 7919).t.example.net")!
            #expect(cache.key(for: name, server: server).value == "example.net")
            #expect(grouper.key(for: name, server: server, memo: &memo).value == "example.net")
        }
        #expect(cache.misses == 200)
        // Without the memo each name walks its three suffixes above the TLD and asks whether `net` is
        // listed (800 questions); with it, one question a name, plus the first name's walk and the few
        // times a name's own suffix evicted a shared one from its slot.
        var none = PublicSuffixMemo.none
        for i in 0..<200 { _ = grouper.key(for: DNSName("q\(i)x\(i * 7919).t.example.net")!, server: server, memo: &none) }
        #expect(none.asked == 800)
        #expect(memo.asked >= 4 + 199 && memo.asked <= 4 + 199 + 10)
    }
}
