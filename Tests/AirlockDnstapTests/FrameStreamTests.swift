import AirlockDnstap
import AirlockEvents
import Testing

/// A tiny protobuf writer for the tests (the project decodes dnstap, it never writes it).
enum Proto {
    static func varint(_ v: UInt64) -> [UInt8] {
        var v = v, out: [UInt8] = []
        repeat {
            var b = UInt8(v & 0x7F)
            v >>= 7
            if v != 0 { b |= 0x80 }
            out.append(b)
        } while v != 0
        return out
    }
    static func field(_ n: UInt64, varint v: UInt64) -> [UInt8] { varint(n << 3) + varint(v) }
    static func field(_ n: UInt64, bytes b: [UInt8]) -> [UInt8] { varint(n << 3 | 2) + varint(UInt64(b.count)) + b }
    static func field(_ n: UInt64, fixed32 v: UInt32) -> [UInt8] {
        varint(n << 3 | 5) + [UInt8(v & 0xFF), UInt8((v >> 8) & 0xFF), UInt8((v >> 16) & 0xFF), UInt8(v >> 24)]
    }

    /// A client query from 192.0.2.7:5353 to 192.0.2.53:53 at 1700000000.25.
    static func clientQuery(_ dns: [UInt8], type: UInt64 = 5) -> [UInt8] {
        let message =
            field(1, varint: type) + field(2, varint: 1) + field(3, varint: 1) + field(4, bytes: [192, 0, 2, 7])
            + field(5, bytes: [192, 0, 2, 53]) + field(6, varint: 5353) + field(7, varint: 53)
            + field(8, varint: 1_700_000_000) + field(9, fixed32: 250_000_000) + field(10, bytes: dns)
            + field(11, bytes: [0])  // query_zone: skipped
        return field(1, bytes: Array("unbound-test".utf8)) + field(2, bytes: Array("1.0".utf8)) + field(14, bytes: message)
            + field(15, varint: 1) + field(99, varint: 7)  // an unknown field: skipped
    }
}

@Suite struct FrameStreamTests {
    @Test func aBidirectionalHandshakeThenDataThenStop() throws {
        let stream =
            FrameStreams.control(FrameStreams.ready, contentType: FrameStreams.dnstapContentType)
            + FrameStreams.control(FrameStreams.start, contentType: FrameStreams.dnstapContentType)
            + FrameStreams.data([1, 2, 3]) + FrameStreams.data([4]) + FrameStreams.control(FrameStreams.stop)
        // Byte by byte: frames come out only when complete.
        var decoder = FrameStreamDecoder()
        var events: [FrameStreamDecoder.Event] = []
        for byte in stream {
            decoder.feed([byte])
            while let event = try decoder.next() { events.append(event) }
        }
        #expect(
            events == [
                .ready(contentTypes: ["protobuf:dnstap.Dnstap"]), .start(contentType: "protobuf:dnstap.Dnstap"),
                .data([1, 2, 3]), .data([4]), .stop,
            ])
        #expect(decoder.finished && decoder.pendingBytes == 0)
    }

    @Test func protocolErrorsAreErrors() {
        var early = FrameStreamDecoder()
        early.feed(FrameStreams.data([1]))
        #expect(throws: FrameStreamDecoder.DecodeError.dataBeforeStart) { try early.next() }
        var huge = FrameStreamDecoder()
        huge.feed(FrameStreams.control(FrameStreams.start) + [0x7F, 0, 0, 0])
        _ = try? huge.next()
        #expect(throws: FrameStreamDecoder.DecodeError.frameTooLarge(0x7F00_0000)) { try huge.next() }
        var badField = FrameStreamDecoder()
        badField.feed([0, 0, 0, 0, 0, 0, 0, 12, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 9])
        #expect(throws: FrameStreamDecoder.DecodeError.badControlFrame("field overruns the frame")) { try badField.next() }
    }

    @Test func theReaderAnswersWithAcceptAndFinish() {
        #expect(
            FrameStreams.control(FrameStreams.accept, contentType: "protobuf:dnstap.Dnstap")
                == [0, 0, 0, 0, 0, 0, 0, 34, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 22] + Array("protobuf:dnstap.Dnstap".utf8))
        #expect(FrameStreams.control(FrameStreams.finish) == [0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0, 5])
    }
}

@Suite struct DnstapRecordTests {
    let dns: [UInt8] = [0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0x61, 0, 0, 1, 0, 1]

    @Test func aClientQueryBecomesAMessageFromTheClientToTheResolver() throws {
        let record = try DnstapRecord.decode(Proto.clientQuery(dns))
        #expect(record.identity == "unbound-test")
        #expect(record.type == .clientQuery)
        let message = try #require(record.clientMessage)
        #expect(message.source == Endpoint(address: IPAddress("192.0.2.7")!, port: 5353))
        #expect(message.destination == Endpoint(address: IPAddress("192.0.2.53")!, port: 53))
        #expect(message.time == Timestamp(nanoseconds: 1_700_000_000_250_000_000))
        #expect(message.transport == .udp)
        #expect(message.message == dns)
    }

    @Test func theResolversOwnQueriesAreLeftOut() throws {
        #expect(try DnstapRecord.decode(Proto.clientQuery(dns, type: 3)).clientMessage == nil)
    }

    @Test func damagedRecordsAreErrors() {
        let good = Proto.clientQuery(dns)
        #expect(throws: DnstapRecord.DecodeError.self) { try DnstapRecord.decode(Array(good.dropLast(40))) }
        // Field 14 (message) as a varint: the wrong wire type.
        #expect(throws: DnstapRecord.DecodeError.badWireType(field: 14, wireType: 0)) {
            try DnstapRecord.decode(Proto.field(14, varint: 3))
        }
        #expect(throws: DnstapRecord.DecodeError.varintTooLong) {
            try DnstapRecord.decode([0x08] + [UInt8](repeating: 0xFF, count: 11))
        }
    }
}
