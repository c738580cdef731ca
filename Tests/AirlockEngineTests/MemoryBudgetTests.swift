@testable import AirlockEngine
import AirlockEvents
import AirlockTestSupport
import Testing

/// The engine's memory bound (Benchmarks/flood.sh: 1,000,000 domains in 256 MB) is made of these
/// sizes; a field added to the per-domain state must fit the budget or come with a new bound.
@Suite struct MemoryBudgetTests {
    @Test func perDomainStateStaysWithinItsBudget() {
        #expect(MemoryLayout<DomainState>.stride <= 320)
        #expect(MemoryLayout<EvidenceKey>.stride <= 56)
    }

    /// Every capacity is a hard bound, small ones included (the dns_pipeline fuzzer found a table of
    /// capacity 8 holding 9: generations were at least 12 entries whatever the capacity, and entries
    /// promoted from the previous generation could overfill the current one).
    @Test(arguments: [2, 3, 8, 16, 31, 100, 1_000])
    func trackedDomainsNeverExceedTheCapacity(_ capacity: Int) {
        var configuration = DetectionConfiguration()
        configuration.maxTrackedDomains = capacity
        var engine = DetectionEngine(configuration: configuration)
        var factory = QueryFactory()
        var random = SeededRandom(seed: UInt64(capacity))
        var recent: [String] = []
        for i in 0..<(capacity * 20) {
            factory.client = Endpoint(address: .v4(0xC612_0100 + UInt32(i % 4)), port: 40000)
            // Every third query returns to a domain from a few queries back (a promotion from the
            // previous generation); the rest are new.
            let domain = i % 3 == 2 && !recent.isEmpty
                ? recent[Int(random.next() % UInt64(recent.count))] : random.string(base32Alphabet, length: 10) + ".com"
            recent.append(domain)
            if recent.count > capacity { recent.removeFirst() }
            _ = engine.inspect(factory.query("www.\(domain)"))
            #expect(engine.trackedDomains <= capacity, "after \(i + 1) queries")
            if engine.trackedDomains > capacity { break }
        }
    }

    /// From the first rotation on, the two generations trade one pair of tables of full size: a
    /// generation regrown from empty held its old and new storage side by side at each doubling, the
    /// live proxy's largest transient under a flood of one-off domains (Benchmarks/live-flood.sh).
    @Test func generationsReuseTheirTables() {
        var table = DomainTable(capacity: 1_000)
        var capacities: Set<Int> = []
        for i in 0..<5_000 {
            let domain = DomainKey(value: "d\(i).com", kind: .registeredDomain, labelCount: 2)
            table.withState(EvidenceKey(domain: domain, client: .everyone), time: Timestamp(nanoseconds: 0)) { _ in }
            if i >= 2 * table.generationSize {
                capacities.insert(table.current.capacity)
                capacities.insert(table.previous.capacity)
            }
            #expect(table.count <= 1_000)
        }
        #expect(capacities.count == 1)
        #expect(capacities.allSatisfy { $0 >= table.generationSize })
    }
}
