import AirlockEvents
import AirlockNames
import Testing

/// The grouping cache keeps four tails of one set and gives each its own key; a fifth pushes out the
/// oldest, only it.
@Suite struct GroupingCacheSetTests {
    let server = Endpoint(address: IPAddress("198.18.0.53")!, port: 53)

    /// Short tails (bytes kept inline) and tails longer than the inline stride (kept apart): each moves
    /// with its slot.
    @Test(arguments: ["www.site", String(repeating: "a", count: 60) + ".site"])
    func fourTailsOfASetStayAndKeepTheirKeys(prefix: String) {
        var cache = GroupingCache(capacity: 16)
        let grouper = DomainGrouper()
        let sets = CacheSets(slots: 16)
        // A name of five labels or fewer is its own tail: its set follows from its wire hash.
        func set(_ name: DNSName) -> Int { sets.firstSlot(of: name.wireHash | 1) }
        var sharing: [DNSName] = []
        var i = 0
        while sharing.count < 5 {
            let name = DNSName("\(prefix)\(i).example")!
            if sharing.isEmpty || set(name) == set(sharing[0]) { sharing.append(name) }
            i += 1
        }
        func ask(_ name: DNSName) {
            #expect(cache.key(for: name, server: server) == grouper.key(for: name, server: server))
        }
        for name in sharing.prefix(4) { ask(name) }
        #expect(cache.misses == 4)
        for name in sharing.prefix(4) { ask(name) }
        #expect(cache.misses == 4 && cache.hits == 4)
        ask(sharing[4])
        for name in sharing[1..<4] { ask(name) }
        #expect(cache.misses == 5)
        ask(sharing[0])
        #expect(cache.misses == 6)
    }
}
