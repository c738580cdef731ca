import AirlockEnforcement
import AirlockEvents
import AirlockFleet
import Testing

/// The sync state machine driven with made-up times and reply bytes, no socket: what it sends for a
/// handshake and a round, what it makes of Redis's answers, and how it fails, backs off and returns.
@Suite struct FleetSyncTests {
    static let start = ProxyTime(wall: Timestamp(seconds: 1_700_000_000, microseconds: 0), monotonic: 5_000_000_000)
    static let domain = DomainKey(value: "pirate.sea", kind: .unlistedSuffix, labelCount: 2)
    static let other = DomainKey(value: "evil.example", kind: .registeredDomain, labelCount: 2)

    static func settings(password: String? = nil, window: Int? = 300) -> FleetSync.Settings {
        FleetSync.Settings(
            instance: "a", keyPrefix: "fleet", username: nil, password: password, intervalMilliseconds: 200,
            maxConvictions: 100, budgetWindowSeconds: window, shareConvictions: true)
    }

    static func conviction(_ domain: DomainKey, by instance: String?, at seconds: Int64 = 1_699_999_990)
        -> Conviction
    {
        Conviction(
            domain: domain, since: Timestamp(seconds: seconds, microseconds: 0), instance: instance,
            rule: "dns.tunnel.domain_score", score: 2.5, threshold: 1, reasons: ["suspicious_names", "odd_names"],
            quarantineSeconds: 600)
    }

    static func at(_ seconds: Double) -> ProxyTime {
        let ns = Int64(seconds * 1e9)
        return ProxyTime(
            wall: Timestamp(nanoseconds: start.wall.nanoseconds + ns), monotonic: start.monotonic + ns)
    }

    /// The commands in the actions' sends, as lists of words.
    static func commands(_ actions: [FleetSync.Action]) -> [[String]] {
        var decoder = RESPDecoder()
        for case .send(let bytes) in actions { decoder.feed(bytes) }
        var out: [[String]] = []
        while let value = try? decoder.next() { out.append((value.elements ?? []).compactMap(\.text)) }
        return out
    }

    static func encode(_ value: RESPValue) -> [UInt8] {
        switch value {
        case .simple(let s): return Array("+\(s)\r\n".utf8)
        case .error(let s): return Array("-\(s)\r\n".utf8)
        case .integer(let n): return Array(":\(n)\r\n".utf8)
        case .bulk(nil): return Array("$-1\r\n".utf8)
        case .bulk(let bytes?): return Array("$\(bytes.count)\r\n".utf8) + bytes + [13, 10]
        case .array(nil): return Array("*-1\r\n".utf8)
        case .array(let items?): return Array("*\(items.count)\r\n".utf8) + items.flatMap(encode)
        }
    }

    static func bulk(_ text: String) -> RESPValue { .bulk(Array(text.utf8)) }

    static func entry(_ id: String, _ c: Conviction) -> RESPValue {
        .array([bulk(id), .array(ConvictionCodec.fields(c).map(bulk))])
    }

    static func installs(_ actions: [FleetSync.Action]) -> [FleetIncoming] {
        actions.compactMap { if case .install(let incoming) = $0 { return incoming } else { return nil } }
    }

    /// A machine past its handshake (nothing in Redis), ready for a round at `at(0)`.
    static func ready(window: Int? = 300) -> FleetSync {
        var sync = FleetSync(settings: settings(window: window), seed: 7)
        #expect(sync.next(at: start.monotonic) == .connect)
        _ = sync.connected(at: start, local: [])
        _ = sync.received(encode(.simple("OK")) + encode(.array([])), at: start)
        #expect(sync.status.connected)
        return sync
    }

    @Test func theHandshakeLoadsConvictionsAndRepublishesOwnOnesRedisLacks() {
        var sync = FleetSync(settings: Self.settings(password: "pw"), seed: 1)
        #expect(sync.next(at: Self.start.monotonic) == .connect)
        let mine = Self.conviction(Self.domain, by: "a")
        let lost = Self.conviction(Self.other, by: "a", at: 1_699_999_995)
        let sent = sync.connected(at: Self.start, local: [mine, lost])
        #expect(
            Self.commands(sent) == [
                ["AUTH", "pw"], ["CLIENT", "SETNAME", "airlock-a"], ["XREVRANGE", "fleet:convictions", "+", "-", "COUNT", "100"],
            ])
        #expect(sync.awaitingReplies && !sync.status.connected)
        // Redis holds b's conviction and one of ours (newest first); the other of ours is missing.
        let theirs = Self.conviction(Self.other, by: "b")
        let load = RESPValue.array([Self.entry("1700000000000-1", theirs), Self.entry("1700000000000-0", mine)])
        let actions = sync.received(Self.encode(.simple("OK")) + Self.encode(.simple("OK")) + Self.encode(load), at: Self.start)
        let republished = Self.commands(actions)
        #expect(republished.count == 2)
        #expect(republished[0].prefix(6) == ["XADD", "fleet:convictions", "MAXLEN", "~", "100", "*"])
        #expect(republished[0].contains("evil.example") && republished[0].contains("a"))
        #expect(republished[1] == ["PEXPIRE", "fleet:convictions", "660000"])
        #expect(sync.awaitingReplies)
        let done = sync.received(Self.encode(Self.bulk("1700000000001-0")) + Self.encode(.integer(1)), at: Self.start)
        let news = Self.installs(done)
        #expect(news.count == 1 && news[0].convictions == [theirs])
        #expect(sync.status.connected && sync.status.convictionsRepublished == 1 && sync.status.convictionsReceived == 1)
        // Reading goes on after the newest entry loaded.
        let round = sync.startRound(FleetOutgoing(), at: Self.start)
        #expect(Self.commands(round).last == ["XREAD", "COUNT", "1024", "STREAMS", "fleet:convictions", "1700000000000-1"])
    }

    @Test func aRoundPublishesCountsAndReadsInOneExchange() {
        var sync = Self.ready()
        let now = Self.at(0.2)
        #expect(sync.next(at: now.monotonic) == .round)
        let window = FleetWindow.index(now.wall, seconds: 300)
        let key = FleetBudgetKey(sandbox: nil, domain: Self.domain)
        let late = FleetBudgetKey(sandbox: "agents", domain: Self.other)
        let outgoing = FleetOutgoing(
            convictions: [Self.conviction(Self.domain, by: nil)],
            counts: [
                FleetCount(key: key, window: window, bytes: 99.5), FleetCount(key: late, window: window - 1, bytes: 10),
            ])
        let sent = Self.commands(sync.startRound(outgoing, at: now))
        let counter = "fleet:budget:300:\(window):*:u:2:pirate.sea"
        let lateCounter = "fleet:budget:300:\(window - 1):s=agents:r:2:evil.example"
        #expect(sent.map(\.first!) == ["XADD", "PEXPIRE", "SET", "GET", "INCRBY", "SET", "INCRBY", "XREAD"])
        #expect(sent[2] == ["SET", counter, "0", "NX", "PX", "660000"])
        #expect(sent[3] == ["GET", "fleet:budget:300:\(window - 1):*:u:2:pirate.sea"])
        #expect(sent[4] == ["INCRBY", counter, "100"])
        #expect(sent[5] == ["SET", lateCounter, "0", "NX", "PX", "660000"] && sent[6] == ["INCRBY", lateCounter, "10"])
        #expect(sent[7] == ["XREAD", "COUNT", "1024", "STREAMS", "fleet:convictions", "0-0"])

        let theirs = Self.conviction(Self.other, by: "c")
        let read = RESPValue.array([.array([Self.bulk("fleet:convictions"), .array([Self.entry("5-0", theirs)])])])
        let replies: [RESPValue] = [
            Self.bulk("4-0"), .integer(1), .simple("OK"), Self.bulk("4000"), .integer(5100), .bulk(nil), .integer(10), read,
        ]
        // Split mid-reply: the machine waits for the rest.
        let bytes = replies.flatMap(Self.encode)
        #expect(Self.installs(sync.received(Array(bytes.prefix(20)), at: now)).isEmpty)
        let news = Self.installs(sync.received(Array(bytes.dropFirst(20)), at: now))
        #expect(news.count == 1)
        #expect(news[0].convictions == [theirs])
        #expect(news[0].figures.count == 1 && news[0].figures[0].key == key)
        #expect(news[0].figures[0].figure == FleetFigure(window: window, previous: 4000, current: 5100))
        #expect(sync.status.convictionsPublished == 1 && sync.status.commands == 10)
        #expect(sync.next(at: now.monotonic) == .wait(until: now.monotonic + 200_000_000))

        // The next round in the same window neither creates the counter nor reads the previous one again.
        let again = Self.commands(
            sync.startRound(FleetOutgoing(counts: [FleetCount(key: key, window: window, bytes: 3)]), at: Self.at(0.4)))
        #expect(again.map(\.first!) == ["INCRBY", "XREAD"])
        let more = Self.installs(sync.received(Self.encode(.integer(5200)) + Self.encode(.array(nil)), at: Self.at(0.4)))
        #expect(more[0].figures[0].figure == FleetFigure(window: window, previous: 4000, current: 5200))
        #expect(more[0].convictions.isEmpty)
    }

    @Test func failuresHandTheBatchBackAlertOnceAndBackOff() {
        var sync = Self.ready()
        let outgoing = FleetOutgoing(convictions: [Self.conviction(Self.domain, by: nil)])
        _ = sync.startRound(outgoing, at: Self.at(0.2))
        let failed = sync.failed("read from Redis: Connection reset by peer", at: Self.at(0.3))
        #expect(failed.count == 3)
        guard case .disconnect = failed[0], case .restore(let back) = failed[1], case .lost(let reason) = failed[2] else {
            Issue.record("\(failed)")
            return
        }
        #expect(back.convictions == outgoing.convictions && reason.contains("Connection reset"))
        #expect(!sync.status.connected && sync.status.failures == 1)
        // Backoff: 100 ms ±25 %, then doubling to the 5 s cap; the loss is announced once.
        var now = Self.at(0.3).monotonic
        var waits: [Int64] = []
        for _ in 0..<10 {
            guard case .wait(let until) = sync.next(at: now) else {
                Issue.record("expected a wait")
                return
            }
            waits.append(until - now)
            now = until
            #expect(sync.next(at: now) == .connect)
            let again = sync.failed("cannot reach Redis: Connection refused", at: ProxyTime(wall: Self.start.wall, monotonic: now))
            #expect(again.allSatisfy { if case .lost = $0 { return false } else { return true } })
        }
        #expect((75_000_000...125_000_000).contains(waits[0]))
        #expect((150_000_000...250_000_000).contains(waits[1]))
        #expect(waits.suffix(3).allSatisfy { (3_750_000_000...6_250_000_000).contains($0) })
        // Back: one "returned" with the time without sync.
        guard case .wait(let until) = sync.next(at: now) else { return }
        now = until
        #expect(sync.next(at: now) == .connect)
        let time = ProxyTime(wall: Self.start.wall, monotonic: now)
        _ = sync.connected(at: time, local: [])
        let back2 = sync.received(Self.encode(.simple("OK")) + Self.encode(.array([])), at: time)
        let returned = back2.compactMap { if case .returned(let s) = $0 { return s } else { return nil } }
        #expect(returned.count == 1 && abs(returned[0] - Double(now - Self.at(0.3).monotonic) / 1e9) < 1e-6)
        #expect(sync.status.connected)
    }

    @Test func anErrorReplyOrASilentRedisEndsTheConnection() {
        var sync = Self.ready()
        _ = sync.startRound(FleetOutgoing(), at: Self.at(0.2))
        let refused = sync.received(Self.encode(.error("OOM command not allowed")), at: Self.at(0.25))
        #expect(refused.contains { if case .lost(let r) = $0 { return r == "Redis refused XREAD: OOM command not allowed" } else { return false } })

        var silent = Self.ready()
        _ = silent.startRound(FleetOutgoing(), at: Self.at(0.2))
        #expect(silent.next(at: Self.at(2.1).monotonic) == .wait(until: Self.at(2.2).monotonic))
        #expect(silent.next(at: Self.at(2.2).monotonic) == .timedOut)

        // Redis refusing AUTH at start is a loss with Redis's words, raised once.
        var auth = FleetSync(settings: Self.settings(password: "wrong"), seed: 3)
        _ = auth.next(at: Self.start.monotonic)
        _ = auth.connected(at: Self.start, local: [])
        let denied = auth.received(Self.encode(.error("WRONGPASS invalid username-password pair")), at: Self.start)
        #expect(denied.contains { if case .lost(let r) = $0 { return r.hasPrefix("Redis refused AUTH: WRONGPASS") } else { return false } })

        // Bytes that are not RESP end the connection too.
        var garbage = Self.ready()
        _ = garbage.startRound(FleetOutgoing(), at: Self.at(0.2))
        let broken = garbage.received(Array("HTTP/1.1 400\r\n".utf8), at: Self.at(0.2))
        #expect(broken.contains { if case .disconnect = $0 { return true } else { return false } })
    }

    @Test func malformedStreamEntriesAreSkippedAndCounted() {
        var sync = Self.ready()
        _ = sync.startRound(FleetOutgoing(), at: Self.at(0.2))
        var fields = ConvictionCodec.fields(Self.conviction(Self.other, by: "b"))
        fields[fields.firstIndex(of: "b")!] = "b c"  // an instance name with a space
        let bad = RESPValue.array([Self.bulk("9-0"), .array(fields.map(Self.bulk))])
        let good = Self.entry("9-1", Self.conviction(Self.domain, by: "b"))
        let mine = Self.entry("9-2", Self.conviction(Self.other, by: "a"))
        let read = RESPValue.array([.array([Self.bulk("fleet:convictions"), .array([bad, good, .integer(3), mine])])])
        let news = Self.installs(sync.received(Self.encode(read), at: Self.at(0.2)))
        #expect(news[0].convictions.map(\.domain) == [Self.domain])
        #expect(sync.status.malformedEntries == 2)
        #expect(Self.commands(sync.startRound(FleetOutgoing(), at: Self.at(0.4))).last?.last == "9-2")
    }

    @Test func convictionEntriesRoundTrip() {
        var c = Self.conviction(Self.domain, by: "node-1.x")
        c.members = [Self.other, DomainKey(value: "198.18.0.9", kind: .serverAddress, labelCount: 0)]
        let fields = ConvictionCodec.fields(c).map(Self.bulk)
        #expect(ConvictionCodec.conviction(fields) == c)
        // Every field is required and checked.
        for drop in ["i", "d", "k", "n", "t", "q", "r", "s", "h"] {
            var list = ConvictionCodec.fields(c)
            let index = list.firstIndex(of: drop)!
            list.removeSubrange(index...index + 1)
            #expect(ConvictionCodec.conviction(list.map(Self.bulk)) == nil, "without \(drop)")
        }
        var badKind = ConvictionCodec.fields(c)
        badKind[badKind.firstIndex(of: "unlisted-suffix")!] = "made-up"
        #expect(ConvictionCodec.conviction(badKind.map(Self.bulk)) == nil)
    }
}
