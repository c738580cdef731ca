import AirlockTLSWire
import AirlockTestSupport
import Testing

/// Every real hello, cut anywhere or spread over records of any size, must never crash and must
/// either wait for more data (with an honest lower bound) or give the same hello.
@Suite struct TruncationAndFragmentationTests {
    static let allInputs: [[UInt8]] =
        realHellos.map { bytes(hex: $0.hex) }
        + [OpenSSLHellos.plain, OpenSSLHellos.tls13Dot, OpenSSLHellos.noSNI, OpenSSLHellos.fragmented].map {
            bytes(hex: $0)
        }

    /// Every strict prefix of a valid hello is a valid prefix: needMoreData, never malformed, and
    /// the promised minimum is more than we have and no more than the real total.
    @Test func everyPrefixNeedsMoreData() {
        var checked = 0
        for input in Self.allInputs {
            for cut in 0..<input.count {
                let result = ClientHelloParser.parse(Array(input[..<cut]))
                guard case .needMoreData(let minimum?) = result else {
                    Issue.record("prefix \(cut)/\(input.count) gave \(result)")
                    continue
                }
                #expect(minimum > cut && minimum <= input.count, "prefix \(cut)/\(input.count): minimum \(minimum)")
                checked += 1
            }
            #expect(ClientHelloParser.parse(input).hello != nil)
        }
        #expect(checked > 10_000)
    }

    /// Re-fragmenting a real hello's handshake message into records of 1…N bytes (the header itself
    /// split across records at size 1–3) gives the same fields, and every prefix still waits.
    @Test(arguments: [1, 2, 3, 7, 64, 100, 511])
    func refragmentedHellosParseTheSame(fragment: Int) throws {
        for input in Self.allInputs {
            let original = try #require(ClientHelloParser.parse(input).hello)
            let message = handshakeMessage(fromRecords: input)
            let stream = records(message, fragment: fragment, version: original.recordVersion)
            var reassembled = try #require(ClientHelloParser.parse(stream).hello)
            #expect(reassembled.recordCount == (message.count + fragment - 1) / fragment)
            #expect(reassembled.byteCount == stream.count)
            reassembled.recordCount = original.recordCount
            reassembled.byteCount = original.byteCount
            #expect(reassembled == original)
        }
        // Prefix check on one input per size keeps the run short (the 1-byte stream is ~6x longer).
        let stream = records(handshakeMessage(fromRecords: Self.allInputs[0]), fragment: fragment)
        for cut in 0..<stream.count {
            guard case .needMoreData(let minimum?) = ClientHelloParser.parse(Array(stream[..<cut])) else {
                Issue.record("fragment \(fragment) prefix \(cut) did not wait")
                continue
            }
            #expect(minimum > cut && minimum <= stream.count)
        }
    }

    /// Data after the hello (the next record, early data) does not change the result, and byteCount
    /// says where the hello's last record ended.
    @Test func trailingRecordsAreLeftAlone() throws {
        let input = Self.allInputs[0]
        let original = try #require(ClientHelloParser.parse(input).hello)
        let withMore = input + [23, 3, 3, 0, 4, 1, 2, 3, 4]
        #expect(ClientHelloParser.parse(withMore) == .clientHello(original))
    }

    /// Flipping any single byte of a real hello, or a seeded run of random multi-byte edits, never traps.
    @Test func mutationsNeverTrap() {
        var outcomes: [String: Int] = [:]
        func note(_ r: ClientHelloParseResult) {
            switch r {
            case .clientHello: outcomes["hello", default: 0] += 1
            case .needMoreData: outcomes["need", default: 0] += 1
            case .notTLS: outcomes["not_tls", default: 0] += 1
            case .unsupported(let e), .malformed(let e): outcomes[e.rawValue, default: 0] += 1
            }
        }
        for input in Self.allInputs {
            for i in input.indices {
                var mutated = input
                mutated[i] ^= 0xFF
                note(ClientHelloParser.parse(mutated))
            }
        }
        var rng = SeededRandom(seed: 0xA1B2_C3D4)
        for round in 0..<4_000 {
            var mutated = Self.allInputs[round % Self.allInputs.count]
            for _ in 0..<(1 + Int(rng.next() % 6)) {
                let at = Int(rng.next() % UInt64(mutated.count))
                mutated[at] = UInt8(truncatingIfNeeded: rng.next())
            }
            if rng.next() % 4 == 0 { mutated.removeLast(Int(rng.next() % UInt64(mutated.count))) }
            note(ClientHelloParser.parse(mutated))
        }
        // The mutations reach deep into the parser, not just the record header.
        #expect(outcomes["not_tls", default: 0] > 0)
        #expect(outcomes["hello", default: 0] > 0)
        #expect(outcomes["truncated_extension", default: 0] + outcomes["extensions_length_mismatch", default: 0] > 0)
        #expect(outcomes["malformed_server_name", default: 0] > 0)
    }
}

