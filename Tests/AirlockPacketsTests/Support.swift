import AirlockCapture
import AirlockEvents
import AirlockPackets
import Foundation

/// The shared public captures, found beside the repository (`../shared/captures`).
enum Captures {
    static let directory: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // AirlockPacketsTests
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()  // repository root
        .deletingLastPathComponent()
        .appendingPathComponent("shared/captures")

    static var available: Bool {
        FileManager.default.fileExists(atPath: directory.appendingPathComponent("edge").path)
    }

    static func path(_ relative: String) -> String { directory.appendingPathComponent(relative).path }

    /// Every capture file under tunnel/ and edge/, sorted.
    static var all: [String] {
        guard available else { return [] }
        var result: [String] = []
        for folder in ["tunnel", "edge"] {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.appendingPathComponent(folder).path)) ?? []
            result += names.filter { $0.hasSuffix(".pcap") || $0.hasSuffix(".pcapng") }.map { "\(folder)/\($0)" }
        }
        return result.sorted()
    }
}

/// A sink that keeps copies of everything, for assertions.
struct RecordingSink: PacketSink {
    struct Message: Equatable {
        var context: FlowContext
        var bytes: [UInt8]
    }

    var messages: [Message] = []
    var flowStarts: [Message] = []
    var malformed: [MalformedReason] = []

    mutating func dnsMessage(_ context: FlowContext, _ message: Span<UInt8>) {
        messages.append(Message(context: context, bytes: message.bytes))
    }

    mutating func flowStart(_ context: FlowContext, firstClientPayload: Span<UInt8>) {
        flowStarts.append(Message(context: context, bytes: firstClientPayload.bytes))
    }

    mutating func malformed(_ reason: MalformedReason) {
        malformed.append(reason)
    }

    var udpMessages: [Message] { messages.filter { $0.context.transport == .udp } }
    var tcpMessages: [Message] { messages.filter { $0.context.transport == .tcp } }
}

extension Span where Element == UInt8 {
    var bytes: [UInt8] {
        var result: [UInt8] = []
        result.reserveCapacity(count)
        for index in 0..<count { result.append(self[index]) }
        return result
    }
}

/// The result of replaying one capture file through reader and decoder.
struct Replay {
    var outcome: ReadOutcome
    var linkType: Int32
    var packets: Int
    var sink: RecordingSink
    var statistics: PacketStatistics

    init(_ path: String, configuration: PacketDecoderConfiguration = PacketDecoderConfiguration()) throws {
        let reader = try PcapFileReader(path: path)
        var decoder = PacketDecoder(configuration: configuration)
        var sink = RecordingSink()
        var packets = 0
        outcome = reader.forEachPacket { record, bytes in
            packets += 1
            decoder.decode(linkType: reader.linkType, time: record.time, bytes: bytes, into: &sink)
        }
        decoder.finish(into: &sink)
        self.linkType = reader.linkType
        self.packets = packets
        self.sink = sink
        self.statistics = decoder.statistics
    }
}
