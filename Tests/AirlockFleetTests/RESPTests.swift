import AirlockFleet
import AirlockTestSupport
import Testing

/// RESP2 replies as they come off a socket: whole, byte by byte, in random pieces; and bytes that
/// are not RESP, refused with a reason before anything large is allocated.
@Suite struct RESPTests {
    static let sample: [UInt8] = Array(
        ("+OK\r\n-ERR wrong\r\n:42\r\n:-7\r\n$3\r\nabc\r\n$0\r\n\r\n$-1\r\n*-1\r\n*0\r\n"
            + "*2\r\n*2\r\n$3\r\n1-0\r\n*2\r\n$1\r\nk\r\n$1\r\nv\r\n$1\r\nx\r\n").utf8)
    static let expected: [RESPValue] = [
        .simple("OK"), .error("ERR wrong"), .integer(42), .integer(-7), .bulk(Array("abc".utf8)), .bulk([]), .bulk(nil),
        .array(nil), .array([]),
        .array([
            .array([.bulk(Array("1-0".utf8)), .array([.bulk(Array("k".utf8)), .bulk(Array("v".utf8))])]),
            .bulk(Array("x".utf8)),
        ]),
    ]

    static func decodeAll(_ pieces: [[UInt8]]) throws -> [RESPValue] {
        var decoder = RESPDecoder()
        var out: [RESPValue] = []
        for piece in pieces {
            decoder.feed(piece)
            while let value = try decoder.next() { out.append(value) }
        }
        #expect(decoder.buffered == 0)
        return out
    }

    @Test func wholeAndBytewiseAndRandomPiecesDecodeAlike() throws {
        #expect(try Self.decodeAll([Self.sample]) == Self.expected)
        #expect(try Self.decodeAll(Self.sample.map { [$0] }) == Self.expected)
        var random = SeededRandom(seed: 14)
        for _ in 0..<50 {
            var pieces: [[UInt8]] = []
            var rest = Self.sample[...]
            while !rest.isEmpty {
                let n = Int(random.next() % 9) + 1
                pieces.append(Array(rest.prefix(n)))
                rest = rest.dropFirst(n)
            }
            #expect(try Self.decodeAll(pieces) == Self.expected)
        }
    }

    @Test func commandsAreArraysOfBulkStrings() throws {
        let bytes = RESPCommand.encode(["SET", "k", "ü"])
        #expect(bytes == Array("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\nü\r\n".utf8))
        #expect(try Self.decodeAll([bytes]) == [.array([.bulk(Array("SET".utf8)), .bulk([0x6B]), .bulk(Array("ü".utf8))])])
    }

    @Test func notRESPIsRefusedWithAReason() {
        let cases: [(String, RESPError)] = [
            ("?x\r\n", .unknownType(0x3F)),
            (":12a\r\n", .badNumber),
            ("$-2\r\n", .badNumber),
            ("$3\r\nabcde\r\n", .badFraming),
            ("+OK\rX", .badFraming),
            (":99999999999999999999\r\n", .badNumber),
            ("$2000000\r\n", .tooLarge("bulk string of 2000000 bytes")),
            ("*2000000\r\n", .tooLarge("array of 2000000 elements")),
            (String(repeating: "*1\r\n", count: 9) + ":1\r\n", .tooLarge("nesting deeper than 8")),
        ]
        for (text, error) in cases {
            var decoder = RESPDecoder()
            decoder.feed(Array(text.utf8))
            #expect(throws: error, "\(text.debugDescription)") {
                while try decoder.next() != nil {}
            }
        }
        // A line that never ends is refused once it passes the line limit, not buffered forever.
        var decoder = RESPDecoder()
        decoder.feed([UInt8(ascii: "+")] + [UInt8](repeating: 0x61, count: 70_000))
        #expect(throws: RESPError.badFraming) { try decoder.next() }
    }

    @Test func anIncompleteReplyWaitsForMoreBytes() throws {
        var decoder = RESPDecoder()
        decoder.feed(Array("*2\r\n$3\r\nab".utf8))
        #expect(try decoder.next() == nil)
        decoder.feed(Array("c\r\n:1".utf8))
        #expect(try decoder.next() == nil)
        decoder.feed(Array("\r\n".utf8))
        #expect(try decoder.next() == .array([.bulk(Array("abc".utf8)), .integer(1)]))
        #expect(try decoder.next() == nil)
    }
}
