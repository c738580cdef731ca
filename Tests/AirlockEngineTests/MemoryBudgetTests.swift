@testable import AirlockEngine
import Testing

/// The engine's memory bound (Benchmarks/flood.sh: 1,000,000 domains in 256 MB) is made of these
/// sizes; a field added to the per-domain state must fit the budget or come with a new bound.
@Suite struct MemoryBudgetTests {
    @Test func perDomainStateStaysWithinItsBudget() {
        #expect(MemoryLayout<DomainState>.stride <= 280)
        #expect(MemoryLayout<EvidenceKey>.stride <= 56)
    }
}
