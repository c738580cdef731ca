import AirlockDNSProxy
import AirlockDNSWire
import AirlockEvents
import Synchronization
import Testing

/// The answer observer feeds name-based firewall sets (serve --fqdn-set): it must see exactly the
/// addresses clients received, cached ones included, and never a blocked answer.
@Suite struct AnswerObserverTests {
    final class Seen: Sendable {
        let calls = Mutex<[(IPAddress, [IPAddress], UInt32)]>([])
    }

    func harness(_ seen: Seen) throws -> CoreHarness {
        var h = try CoreHarness(policy: basicPolicy, cacheEntries: 100)
        var configuration = h.core.configuration
        configuration.answerObserver = { client, addresses, ttl in
            seen.calls.withLock { $0.append((client, addresses, ttl)) }
        }
        h.core = DNSProxyCore(configuration: configuration, shared: h.shared)
        return h
    }

    @Test func deliveredAnswersAreObservedBlockedOnesNot() throws {
        let seen = Seen()
        var h = try harness(seen)
        let forward = try #require(h.query("www.example.com").forwarded)
        _ = h.answer(forward, [.a("93.184.216.34"), .a("93.184.216.35")])
        var calls = seen.calls.withLock { $0 }
        #expect(calls.count == 1)
        #expect(calls.first?.0 == IPAddress("198.18.1.10"))
        #expect(calls.first?.1 == [IPAddress("93.184.216.34")!, IPAddress("93.184.216.35")!])
        #expect(calls.first?.2 == 300)

        // From the cache: observed again, with the TTL that is left.
        h.advance(seconds: 100)
        #expect(h.query("www.example.com", id: 9).response != nil)
        calls = seen.calls.withLock { $0 }
        #expect(calls.count == 2)
        #expect((calls.last?.2 ?? 0) <= 200)

        // A denied name never reaches an upstream, so nothing is observed.
        #expect(h.query("evil.example.com").response != nil)
        #expect(seen.calls.withLock { $0.count } == 2)
    }
}
