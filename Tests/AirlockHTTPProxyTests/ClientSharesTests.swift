import AirlockEvents
import Testing

@testable import AirlockHTTPProxy

/// The per-client connection limits on their own (issue #11 finding 4): who gets in, who is refused,
/// whose idle connection is closed to make room.
@Suite struct ClientSharesTests {
    let hog = IPAddress("198.18.1.2")!
    let other = IPAddress("198.18.2.2")!
    let third = IPAddress("198.18.3.2")!

    /// A hog opening many silent connections keeps at most its pending-head allowance: each new one
    /// closes its oldest idle one.
    @Test func idleConnectionsPastTheAllowanceCloseTheOldest() {
        var shares = ClientShares(limits: .init(total: 100, perClient: 50, idlePerClient: 8))
        var closed: [UInt64] = []
        for id in UInt64(1)...200 {
            guard case .admit(let closing) = shares.admit(id, from: hog, isIdle: { _ in true }) else {
                Issue.record("refused \(id)")
                continue
            }
            closed += closing
        }
        #expect(shares.count(of: hog) == 8)
        #expect(closed == Array(1...192), "oldest first")
        #expect(shares.admit(201, from: other, isIdle: { _ in true }) == .admit(closing: []))
    }

    /// Busy connections are never closed: at its share a client's next connection is refused.
    @Test func aClientAtItsShareWithEverythingBusyIsRefused() {
        var shares = ClientShares(limits: .init(total: 100, perClient: 20, idlePerClient: 8))
        for id in UInt64(1)...20 { #expect(shares.admit(id, from: hog, isIdle: { _ in false }) == .admit(closing: [])) }
        #expect(shares.admit(21, from: hog, isIdle: { _ in false }) == .refuse)
        #expect(shares.admit(22, from: other, isIdle: { _ in false }) == .admit(closing: []))
        shares.remove(3, from: hog)
        shares.remove(3, from: hog)  // twice: no effect
        #expect(shares.count(of: hog) == 19 && shares.total == 20)
        #expect(shares.admit(23, from: hog, isIdle: { _ in false }) == .admit(closing: []))
    }

    /// A full worker: the client holding the most loses its oldest idle connection to a newcomer
    /// holding fewer; the hog itself, or a newcomer when nobody holds more, is refused.
    @Test func aFullWorkerTakesRoomFromTheClientHoldingTheMost() {
        var shares = ClientShares(limits: .init(total: 30, perClient: 25, idlePerClient: 25))
        let busy: Set<UInt64> = Set(21...30)
        for id in UInt64(1)...20 { _ = shares.admit(id, from: hog, isIdle: { !busy.contains($0) }) }
        for id in UInt64(21)...30 { _ = shares.admit(id, from: other, isIdle: { !busy.contains($0) }) }
        #expect(shares.total == 30)
        #expect(shares.admit(31, from: third, isIdle: { !busy.contains($0) }) == .admit(closing: [1]))
        #expect(shares.count(of: hog) == 19 && shares.total == 30)
        #expect(shares.admit(32, from: hog, isIdle: { !busy.contains($0) }) == .refuse)
        // Nobody idle to spare: refused.
        #expect(shares.admit(33, from: third, isIdle: { _ in false }) == .refuse)
    }
}
