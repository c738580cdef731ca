import AirlockDNSWire
import AirlockLDNS
import Foundation
import Testing

/// ns/message for the fast path and ldns over the corpus. Off by default (timing has no place in a
/// shared CI run); `AIRLOCK_BENCH=1 swift test -c release --filter DNSReaderBenchmark` prints figures.
@Suite("DNS reader benchmark", .enabled(if: ProcessInfo.processInfo.environment["AIRLOCK_BENCH"] != nil))
struct DNSReaderBenchmark {
    static func nanoseconds(_ body: () -> Int) -> (Double, Int) {
        let start = DispatchTime.now().uptimeNanoseconds
        let result = body()
        return (Double(DispatchTime.now().uptimeNanoseconds - start), result)
    }

    @Test func parseRate() throws {
        let messages = try Wire.corpus().map(\.bytes)
        let rounds = 1000
        let total = messages.count * rounds
        let (fastNs, accepted) = Self.nanoseconds {
            var ok = 0
            for _ in 0..<rounds {
                for m in messages {
                    if case .success(let message) = DNSWireReader.parse(m.span) {
                        ok &+= message.payloadBytes > -1 ? 1 : 0
                    }
                }
            }
            return ok
        }
        let queries = messages.filter { $0.count > 2 && $0[2] & 0x80 == 0 }
        let (queryNs, _) = Self.nanoseconds {
            var ok = 0
            for _ in 0..<rounds { for m in queries { if case .success = DNSWireReader.parse(m.span) { ok &+= 1 } } }
            return ok
        }
        let ldnsRounds = 20
        let (ldnsNs, _) = Self.nanoseconds {
            var ok = 0
            for _ in 0..<ldnsRounds { for m in messages { if case .success = LDNSCodec.parse(m) { ok &+= 1 } } }
            return ok
        }
        let averageSize = Double(messages.reduce(0) { $0 + $1.count }) / Double(messages.count)
        print(
            String(
                format:
                    "fast path: %.0f ns/message (%.2f M/s) over %d messages of %.0f bytes avg; queries only: %.0f ns; ldns: %.0f ns/message",
                fastNs / Double(total), Double(total) / fastNs * 1e3, total, averageSize,
                queryNs / Double(queries.count * rounds), ldnsNs / Double(messages.count * ldnsRounds)))
        #expect(accepted == (messages.count - 3) * rounds)
    }
}
