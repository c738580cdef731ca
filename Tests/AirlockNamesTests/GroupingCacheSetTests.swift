import AirlockEvents
import AirlockNames
import AirlockTestSupport
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
        let sharing = keysSharingASet(5, make: { DNSName("\(prefix)\($0).example")! }) {
            sets.firstSlot(of: $0.wireHash | 1)
        }
        let misses = fourWaySetMisses(sharing, ask: { name in
            #expect(cache.key(for: name, server: server) == grouper.key(for: name, server: server))
        }, misses: { cache.misses })
        #expect(misses == [4, 4, 5, 6])
    }
}
