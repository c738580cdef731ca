import AirlockCapture
import AirlockEvents
import AirlockPackets
import AirlockTestSupport
import Testing

/// Counts without copying, like a production sink.
struct CountingSink: PacketSink {
    var messages = 0, starts = 0, malformed = 0, bytes = 0
    mutating func dnsMessage(_ context: FlowContext, _ message: Span<UInt8>) {
        messages += 1
        bytes += message.count
    }
    mutating func flowStart(_ context: FlowContext, firstClientPayload: Span<UInt8>) { starts += 1 }
    mutating func malformed(_ reason: MalformedReason) { malformed += 1 }
}

@Suite("Robustness")
struct RobustnessTests {
    /// Every packet of every public capture, with its link type.
    static func allPackets() throws -> [(Int32, [UInt8])] {
        var packets: [(Int32, [UInt8])] = []
        for file in Captures.all {
            let reader = try PcapFileReader(path: Captures.path(file))
            _ = reader.forEachPacket { _, bytes in packets.append((reader.linkType, bytes.bytes)) }
        }
        return packets
    }

    @Test(.enabled(if: Captures.available))
    func truncatedAndMutatedRealPacketsNeverCrash() throws {
        let packets = try Self.allPackets()
        #expect(packets.count == expectedPacketCounts.values.reduce(0, +))
        var decoder = PacketDecoder()
        var sink = CountingSink()
        var time = Timestamp(nanoseconds: 1_600_000_000_000_000_000)
        var fed = 0
        func feed(_ linkType: Int32, _ bytes: [UInt8]) {
            time.nanoseconds += 1_000_000
            decoder.decode(linkType: linkType, time: time, bytes: bytes.span, into: &sink)
            fed += 1
        }
        // Every prefix of short packets, about 24 prefixes of long ones.
        for (linkType, bytes) in packets {
            let step = max(1, bytes.count / 24)
            for length in stride(from: 0, to: bytes.count, by: step) { feed(linkType, Array(bytes[..<length])) }
        }
        // Random byte flips, sometimes under the wrong link type.
        var random = SeededRandom(seed: 0xA1B2_C3D4)
        let linkTypes = LinkType.supported + [2, 147]
        for _ in 0..<20_000 {
            var (linkType, bytes) = packets[Int.random(in: 0..<packets.count, using: &random)]
            guard !bytes.isEmpty else { continue }
            for _ in 0..<Int.random(in: 1...4, using: &random) {
                bytes[Int.random(in: 0..<min(bytes.count, 80), using: &random)] = UInt8.random(in: 0...255, using: &random)
            }
            if Int.random(in: 0..<8, using: &random) == 0 { linkType = linkTypes.randomElement(using: &random)! }
            feed(linkType, bytes)
        }
        // Pure noise.
        for _ in 0..<2_000 {
            let bytes = (0..<Int.random(in: 0..<200, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
            feed(linkTypes.randomElement(using: &random)!, bytes)
        }
        decoder.finish(into: &sink)
        let statistics = decoder.statistics
        #expect(statistics.packets == fed)
        #expect(statistics.bufferedBytes == 0)
        #expect(statistics.malformedTotal == sink.malformed)
        #expect(statistics.dnsMessages == sink.messages)
        #expect(statistics.malformedTotal > 1000)
    }

    /// One DNS connection over a lossy, reordering, duplicating network, with or without flipped bytes:
    /// nothing crashes, every buffered byte is released, and clean streams lose only what was dropped.
    @Test(arguments: [false, true])
    func lossyTCPStreamsKeepTheBooksBalanced(corrupt: Bool) {
        for dropPercent in [0, 1, 5] { lossyStream(corrupt: corrupt, dropPercent: dropPercent) }
    }

    func lossyStream(corrupt: Bool, dropPercent: Int) {
        var random = SeededRandom(seed: 42)
        var stream: [UInt8] = []
        var originalsInOrder: [[UInt8]] = []
        for id in 0..<200 {
            let message = Build.dnsQuery(id: id, padding: Int.random(in: 0..<300, using: &random))
            originalsInOrder.append(message)
            stream += Build.framed(message)
        }
        let originals = Set(originalsInOrder)
        // Cut the stream the way writers do: a message per segment, sometimes split in two, sometimes
        // two messages in one segment.
        var boundaries: [Int] = [0]
        for message in originalsInOrder { boundaries.append(boundaries.last! + 2 + message.count) }
        var segments: [(start: Int, end: Int)] = []
        var index = 0
        while index < originalsInOrder.count {
            let start = boundaries[index]
            switch Int.random(in: 0..<6, using: &random) {
            case 0:
                let cut = start + Int.random(in: 1...(1 + originalsInOrder[index].count), using: &random)
                segments.append((start, cut))
                segments.append((cut, boundaries[index + 1]))
                index += 1
            case 1 where index + 2 < boundaries.count:
                segments.append((start, boundaries[index + 2]))
                index += 2
            default:
                segments.append((start, boundaries[index + 1]))
                index += 1
            }
        }
        // The network: drop 5 %, duplicate 5 %, swap neighbours 10 %.
        var delivered: [(start: Int, end: Int)] = []
        for segment in segments {
            let roll = Int.random(in: 0..<100, using: &random)
            if roll < dropPercent { continue }
            delivered.append(segment)
            if roll >= 95 { delivered.append(segment) }
            if roll >= 10 && roll < 20 && delivered.count >= 2 { delivered.swapAt(delivered.count - 1, delivered.count - 2) }
        }
        let conversation = TCPConversation()
        var configuration = PacketDecoderConfiguration()
        configuration.maxOutOfOrderSegments = 8
        var harness = Harness(configuration: configuration)
        for packet in conversation.handshake() { harness.feed(packet) }
        for segment in delivered {
            var payload = Array(stream[segment.start..<segment.end])
            if corrupt && Int.random(in: 0..<20, using: &random) == 0 { payload[0] ^= 0xFF }
            harness.feed(conversation.fromClient(payload, sequence: conversation.clientSequence + 1 + UInt32(segment.start)))
        }
        harness.finish()
        #expect(harness.statistics.bufferedBytes == 0)
        #expect(harness.statistics.tcpDNSMessages == harness.sink.messages.count)
        #expect(harness.sink.messages.allSatisfy { $0.bytes.count >= 12 })
        // A flipped byte in a length prefix makes the framer wait for a long message, as the server
        // would; only the clean runs have a floor on what gets through.
        if !corrupt {
            #expect(dropPercent == 0 ? harness.sink.messages.count == 200 : harness.sink.messages.count > 150)
            // Gaps lose messages, but whatever is delivered is a real message, once, in order.
            #expect(harness.sink.messages.allSatisfy { originals.contains($0.bytes) })
            let ids = harness.sink.messages.map(identifier)
            #expect(ids == ids.sorted() && Set(ids).count == ids.count)
        }
    }

    /// Fragmented datagrams over a network that drops, repeats, reorders, corrupts and forges
    /// overlapping fragments, interleaved across identifications and both IP versions.
    @Test func hostileFragmentsKeepTheBooksBalanced() {
        var random = SeededRandom(seed: 7)
        var configuration = PacketDecoderConfiguration()
        configuration.maxReassemblies = 6
        var harness = Harness(linkType: 101, configuration: configuration)
        let datagram = Build.udp(Build.dnsQuery(id: 1, padding: 1200))
        var clean = 0
        for round in 0..<1_500 {
            var cuts = [0]
            while cuts.last! < datagram.count {
                cuts.append(min(datagram.count, cuts.last! + Int.random(in: 1...60, using: &random) * 8))
            }
            var pieces: [(offset: Int, bytes: [UInt8], more: Bool)] = (0..<(cuts.count - 1)).map {
                (cuts[$0], Array(datagram[cuts[$0]..<cuts[$0 + 1]]), $0 < cuts.count - 2)
            }
            var forged: (offset: Int, bytes: [UInt8], more: Bool)?
            switch Int.random(in: 0..<20, using: &random) {
            case 0, 1:
                // A forged copy of the first fragment, with other bytes, arriving just before the real one.
                // (Arriving after the rest, it would complete the datagram: first bytes win, as in a host.)
                forged = pieces[0]
                forged!.bytes[forged!.bytes.count - 1] ^= 0xFF
            case 2:
                pieces.remove(at: Int.random(in: 0..<pieces.count, using: &random))
            case 3, 4:
                pieces.append(pieces[0])  // a harmless duplicate
                clean += 1
            default:
                clean += 1
            }
            pieces.shuffle(using: &random)
            if let forged {
                pieces.removeAll { $0.offset == 0 }
                pieces.insert(contentsOf: [forged, (0, Array(datagram[0..<cuts[1]]), true)], at: 0)
            }
            let identification = round
            let v6 = Bool.random(using: &random)
            for piece in pieces {
                if v6 {
                    harness.feed(
                        Build.ipv6(
                            piece.bytes,
                            extensions: [(44, Build.fragmentHeader(offset: piece.offset, more: piece.more, identification: UInt32(identification)))]))
                } else {
                    harness.feed(Build.ipv4(piece.bytes, identification: identification, moreFragments: piece.more, fragmentOffset: piece.offset))
                }
            }
        }
        harness.finish()
        let statistics = harness.statistics
        #expect(statistics.bufferedBytes == 0)
        // Complete datagrams always reassemble, with the original bytes; forged or incomplete ones never do.
        #expect(statistics.datagramsReassembled == clean)
        #expect(statistics.count(.fragmentOverlap) > 0)
        #expect(harness.sink.messages.count == clean)
        #expect(harness.sink.messages.allSatisfy { $0.bytes == Array(datagram.dropFirst(8)) })
    }
}
