import AirlockCapture
import AirlockEvents
import Foundation
import Testing

/// Packet counts per file, from `capinfos -c` (Wireshark 4.x).
let expectedPacketCounts: [String: Int] = [
    "edge/ndpi_avast_securedns.pcapng": 77, "edge/ndpi_bt-dns.pcap": 2, "edge/ndpi_dns-google-nsid.pcapng": 14,
    "edge/ndpi_dns-invalid-chars.pcap": 2, "edge/ndpi_dns.pcap": 5, "edge/ndpi_dns_ambiguous_names.pcap": 20,
    "edge/ndpi_dns_doh.pcap": 142, "edge/ndpi_dns_dot.pcap": 24, "edge/ndpi_dns_fragmented.pcap": 66,
    "edge/ndpi_dns_invert_query.pcapng": 2, "edge/ndpi_dnscrypt-v2-doh.pcap": 577, "edge/ndpi_doh.pcapng": 120,
    "edge/ndpi_googledns_android10.pcap": 532, "edge/ndpi_malformed_dns.pcap": 6, "edge/ndpi_mullvad_dns.pcap": 2,
    "edge/ndpi_netbios_wildcard_dns_query.pcap": 1, "edge/oarc_dnsjit_46vs45.pcap": 1, "edge/oarc_dnsjit_dns.pcap": 133,
    "edge/oarc_dnsjit_ip6-tcp-padd.pcap": 6, "edge/oarc_dnsjit_ip6-udp-padd.pcap": 1, "edge/oarc_dnsjit_pellets.pcap": 91,
    "edge/oarc_dnsjit_sll2.pcap": 2, "edge/oarc_dnsjit_tcp-response-with-trailing-junk.pcap": 28,
    "edge/oarc_dsc_1458044657.pcap": 8, "edge/oarc_dsc_dns6.pcap": 2, "edge/oarc_dsc_dnso1tcp.pcap": 212,
    "edge/oarc_dsc_edns.pcap": 14, "edge/oarc_dsc_pid.pcap": 4, "edge/oarc_dsc_test_285.pcap": 4,
    "tunnel/ndpi_dns-exf.pcap": 2, "tunnel/ndpi_dns-tunnel-iodine.pcap": 438, "tunnel/ndpi_dns2tcp_tunnel.pcap": 50,
    "tunnel/ndpi_dns_exfiltration.pcap": 300, "tunnel/ndpi_dns_long_domainname.pcap": 2,
]

/// A scratch directory removed when the test ends.
final class ScratchDirectory {
    let url: URL
    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("airlock-packets-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(at: url) }
    func file(_ name: String, _ contents: [UInt8]) throws -> String {
        let path = url.appendingPathComponent(name).path
        try Data(contents).write(to: URL(fileURLWithPath: path))
        return path
    }
}

/// Start offsets of each record in a little-endian classic pcap file (the test's own reading of the format).
func pcapRecordOffsets(_ bytes: [UInt8]) -> [Int] {
    func le32(_ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 | Int(bytes[at + 2]) << 16 | Int(bytes[at + 3]) << 24 }
    var offsets: [Int] = []
    var position = 24
    while position + 16 <= bytes.count {
        offsets.append(position)
        position += 16 + le32(position + 8)
    }
    return offsets
}

@Suite("PcapFileReader")
struct PcapFileReaderTests {
    @Test(.enabled(if: Captures.available))
    func readsEveryCaptureCompletely() throws {
        #expect(Captures.all.count == expectedPacketCounts.count)
        for file in Captures.all {
            let reader = try PcapFileReader(path: Captures.path(file))
            var count = 0
            var lastIndex = -1
            var capturedBytes = 0
            let outcome = reader.forEachPacket { record, bytes in
                #expect(record.index == lastIndex + 1)
                #expect(record.capturedLength == bytes.count)
                #expect(record.originalLength >= record.capturedLength)
                lastIndex = record.index
                capturedBytes += bytes.count
                count += 1
            }
            #expect(outcome == .complete, "\(file)")
            #expect(count == expectedPacketCounts[file], "\(file)")
            // A second pass delivers nothing and repeats the outcome.
            #expect(reader.forEachPacket { _, _ in Issue.record("delivered twice") } == .complete)
        }
    }

    @Test(.enabled(if: Captures.available))
    func linkTypesAndTimestamps() throws {
        #expect(try PcapFileReader(path: Captures.path("edge/oarc_dnsjit_sll2.pcap")).linkType == 276)
        #expect(try PcapFileReader(path: Captures.path("tunnel/ndpi_dns2tcp_tunnel.pcap")).linkType == 113)
        #expect(try PcapFileReader(path: Captures.path("edge/ndpi_doh.pcapng")).linkType == 1)
        let raw = try PcapFileReader(path: Captures.path("edge/oarc_dnsjit_46vs45.pcap"))
        #expect(raw.linkType == 12)
        #expect(raw.linkTypeName == "RAW")
        var times: [Timestamp] = []
        var lengths: [Int] = []
        _ = raw.forEachPacket { record, bytes in
            times.append(record.time)
            lengths.append(bytes.count)
        }
        // tshark: "Epoch Time: 1740571199.674769000", 46 bytes.
        #expect(times == [Timestamp(nanoseconds: 1_740_571_199_674_769_000)])
        #expect(lengths == [46])
    }

    @Test(.enabled(if: Captures.available))
    func truncatedFileStopsWithOffsetAfterDeliveringEarlierPackets() throws {
        let original = try [UInt8](Data(contentsOf: URL(fileURLWithPath: Captures.path("edge/oarc_dnsjit_dns.pcap"))))
        let offsets = pcapRecordOffsets(original)
        #expect(offsets.count == 133)
        let scratch = try ScratchDirectory()
        // Cut inside record 40's data (odd byte), and inside record 90's 16-byte header.
        for (cut, complete) in [((offsets[40] + 16 + 7) | 1, 40), ((offsets[90] + 8) | 1, 90)] {
            #expect(cut % 2 == 1 && cut < offsets[complete + 1])
            let path = try scratch.file("cut-\(cut).pcap", Array(original[..<cut]))
            let reader = try PcapFileReader(path: path)
            var delivered = 0
            let outcome = reader.forEachPacket { _, _ in delivered += 1 }
            #expect(delivered == complete)
            guard case .stopped(let packet, let offset, let reason) = outcome else {
                Issue.record("expected stopped, got \(outcome)")
                continue
            }
            #expect(packet == complete)
            #expect(offset == Int64(offsets[complete]))
            #expect(reason.contains("truncated"), "\(reason)")
        }
    }

    @Test(.enabled(if: Captures.available))
    func truncatedPcapngStops() throws {
        let original = try [UInt8](Data(contentsOf: URL(fileURLWithPath: Captures.path("edge/ndpi_avast_securedns.pcapng"))))
        let scratch = try ScratchDirectory()
        let path = try scratch.file("cut.pcapng", Array(original[..<(original.count / 2 | 1)]))
        let reader = try PcapFileReader(path: path)
        var delivered = 0
        let outcome = reader.forEachPacket { _, _ in delivered += 1 }
        guard case .stopped(let packet, let offset, let reason) = outcome else {
            Issue.record("expected stopped, got \(outcome)")
            return
        }
        #expect(delivered > 30 && delivered < 77)
        #expect(packet == delivered)
        #expect(offset != nil && offset! < Int64(original.count / 2))
        #expect(reason.contains("truncated"), "\(reason)")
    }

    @Test func missingFileIsNamedInTheError() throws {
        let path = "/nonexistent/airlock/none.pcap"
        #expect(throws: CaptureError.fileNotFound(path: path)) { try PcapFileReader(path: path) }
        #expect(CaptureError.fileNotFound(path: path).description.contains(path))
    }

    @Test func directoryIsUnreadable() throws {
        let scratch = try ScratchDirectory()
        do {
            _ = try PcapFileReader(path: scratch.url.path)
            Issue.record("opened a directory")
        } catch {
            guard case .unreadable(let path, _) = error else { Issue.record("wrong error \(error)"); return }
            #expect(path == scratch.url.path)
        }
    }

    @Test func textFileIsNotACapture() throws {
        let scratch = try ScratchDirectory()
        let path = try scratch.file("notes.pcap", Array("this is not a capture file at all\n".utf8))
        do {
            _ = try PcapFileReader(path: path)
            Issue.record("opened a text file")
        } catch {
            guard case .notACapture(let errorPath, let message) = error else { Issue.record("wrong error \(error)"); return }
            #expect(errorPath == path)
            #expect(!message.isEmpty)
            #expect(error.description.contains(path))
        }
        let empty = try scratch.file("empty.pcap", [])
        #expect(throws: CaptureError.self) { try PcapFileReader(path: empty) }
    }

    @Test(.enabled(if: Captures.available))
    func filterSelectsPacketsAndBadFilterIsReported() throws {
        let path = Captures.path("edge/oarc_dnsjit_tcp-response-with-trailing-junk.pcap")
        for (filter, expected) in [("udp", 18), ("tcp", 10), ("tcp port 53 and tcp[tcpflags] & tcp-syn != 0", 2)] {
            let reader = try PcapFileReader(path: path, filter: filter)
            var count = 0
            #expect(reader.forEachPacket { _, _ in count += 1 } == .complete)
            #expect(count == expected, "\(filter)")
        }
        do {
            _ = try PcapFileReader(path: path, filter: "udp port banana")
            Issue.record("accepted a bad filter")
        } catch {
            guard case .badFilter(let errorPath, let filter, let message) = error else {
                Issue.record("wrong error \(error)"); return
            }
            #expect(errorPath == path)
            #expect(filter == "udp port banana")
            #expect(!message.isEmpty)
        }
    }

    @Test(.enabled(if: Captures.available))
    func bodyErrorEndsTheRead() throws {
        struct Enough: Error {}
        let reader = try PcapFileReader(path: Captures.path("edge/oarc_dnsjit_dns.pcap"))
        var seen = 0
        #expect(throws: Enough.self) {
            _ = try reader.forEachPacket { _, _ throws(Enough) in
                seen += 1
                if seen == 5 { throw Enough() }
            }
        }
        #expect(seen == 5)
    }

    @Test func offsetsStayRightAfterARecordLongerThanTheSnapshotLength() throws {
        func le32(_ value: Int) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) } }
        func le16(_ value: Int) -> [UInt8] { (0..<2).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) } }
        func record(_ length: Int, present: Int? = nil) -> [UInt8] {
            let body = [UInt8](repeating: 0xAB, count: present ?? length)
            return le32(1_700_000_000) + le32(0) + le32(length) + le32(length) + body
        }
        // Snapshot length 64, but the first record holds 100 bytes (libpcap delivers 64 and skips 36).
        let header = le32(0xA1B2_C3D4) + le16(2) + le16(4) + le32(0) + le32(0) + le32(64) + le32(101)
        let bytes = header + record(100) + record(40) + record(40, present: 7)
        let scratch = try ScratchDirectory()
        let reader = try PcapFileReader(path: try scratch.file("long.pcap", bytes))
        var lengths: [Int] = []
        let outcome = reader.forEachPacket { record, span in lengths.append(span.count) }
        #expect(lengths == [64, 40])
        #expect(outcome == .stopped(atPacket: 2, byteOffset: 24 + 116 + 56, reason: outcome.reason ?? ""))
    }
}

extension ReadOutcome {
    var reason: String? {
        if case .stopped(_, _, let reason) = self { return reason }
        return nil
    }
}
