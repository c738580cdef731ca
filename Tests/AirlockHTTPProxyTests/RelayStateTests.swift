import Testing

@testable import AirlockHTTPProxy

/// The relay state without sockets: half-closes pass each end on once its direction is drained,
/// and a tunnel is finished when both directions are shut.
@Suite struct RelayStateTests {
    /// A tunnel with the upstream connected.
    func tunnel() -> RelayState {
        var state = RelayState()
        state.connectStarted()
        #expect(state.upstreamConnecting && state.upstreamWatched)
        state.connected()
        state.startRelay()
        return state
    }

    @Test func clientEndsFirstThenUpstream() {
        var state = tunnel()
        state.clientEnded()
        #expect(state.upstreamFlushed(drained: false) == [])
        #expect(state.upstreamFlushed(drained: true) == [.shutUpstreamWrite])
        #expect(state.upstreamFlushed(drained: true) == [], "the end is passed on once")
        state.upstreamEnded()
        #expect(state.clientFlushed(drained: false) == [])
        #expect(state.clientFlushed(drained: true) == [.shutClientWrite, .finish(reason: "tunnel closed")])
    }

    @Test func upstreamEndsFirstThenClient() {
        var state = tunnel()
        state.upstreamEnded()
        #expect(state.upstreamReadEnded)
        #expect(state.clientFlushed(drained: true) == [.shutClientWrite])
        state.clientEnded()
        #expect(state.upstreamFlushed(drained: true) == [.shutUpstreamWrite, .finish(reason: "tunnel closed")])
    }

    @Test func upstreamGoneBothWaysIsAbandonedAndTheClientStillGetsItsBytes() {
        var state = tunnel()
        #expect(state.upstreamHungUp() == [], "a hang-up before the upstream's end of stream is not its end")
        state.upstreamEnded()
        #expect(state.upstreamHungUp() == [.abandonUpstream])
        #expect(!state.upstreamWatched && state.upstreamReadEnded)
        #expect(state.clientFlushed(drained: false) == [], "queued bytes go to the client first")
        #expect(state.clientFlushed(drained: true) == [.shutClientWrite, .finish(reason: "tunnel closed")])
    }

    @Test func closingFinishesOnceDrainedWithoutHalfCloses() {
        var state = tunnel()
        state.upstreamEnded()
        state.close()
        #expect(state.clientFlushed(drained: false) == [])
        #expect(state.clientFlushed(drained: true) == [.finish(reason: nil)])
    }

    @Test func clientHangUpFinishesOnlyAfterItsEnd() {
        var plain = RelayState()
        #expect(plain.clientHungUp() == [])
        plain.clientEnded()
        #expect(plain.clientHungUp() == [.finish(reason: "client gone")])
        var relaying = tunnel()
        relaying.clientEnded()
        #expect(relaying.clientHungUp() == [.finish(reason: "tunnel closed")])
    }

    @Test func plainHTTPPassesNoEndsOn() {
        var state = RelayState()
        state.connectStarted()
        state.connected()
        state.clientEnded()
        state.upstreamEnded()
        #expect(state.upstreamFlushed(drained: true) == [])
        #expect(state.clientFlushed(drained: true) == [])
        #expect(state.upstreamHungUp() == [])
    }

    @Test func aNewConnectionStartsWithBothDirectionsOpen() {
        var state = RelayState()
        state.connectStarted()
        state.connected()
        state.upstreamEnded()
        state.upstreamClosed()
        #expect(!state.upstreamWatched && !state.upstreamReadEnded)
        state.connectStarted()
        state.connected()
        #expect(state.upstream == .open(readEnded: false, writeShut: false))
    }
}
