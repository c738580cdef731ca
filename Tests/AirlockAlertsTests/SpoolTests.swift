import AirlockSystem
import Foundation
import Testing

@testable import AirlockAlerts

@Suite struct SpoolTests {
    func records(_ range: Range<Int>) -> [SpoolRecord] {
        range.map { SpoolRecord(id: "id-\($0)", payload: Array("{\"n\":\($0)}".utf8)) }
    }

    @Test func appendPeekAcknowledgeAndResumeAfterRestart() throws {
        let dir = Samples.temporaryDirectory("spool")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        do {
            let spool = try Spool(directory: dir, segmentBytes: 4096)
            try spool.append(records(0..<300))
            #expect(spool.depth == 300)
            let (batch, end) = spool.peek(maxRecords: 100)
            #expect(batch == records(0..<100))
            spool.acknowledge(through: end, records: batch.count)
            #expect(spool.depth == 200)
        }
        // A new instance over the same directory (a restart) resumes after the acknowledged batch.
        let reopened = try Spool(directory: dir, segmentBytes: 4096)
        #expect(reopened.depth == 200)
        try reopened.append(records(300..<310))
        var seen: [SpoolRecord] = []
        while true {
            let (batch, end) = reopened.peek(maxRecords: 64)
            if batch.isEmpty { break }
            seen += batch
            reopened.acknowledge(through: end, records: batch.count)
        }
        #expect(seen == records(100..<310))
        #expect(reopened.depth == 0)
        // Delivered segments are gone; at most the segment being written remains.
        let left = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".spool") }
        #expect(left.count <= 1)
    }

    @Test func tornTailFromACrashIsSkipped() throws {
        let dir = Samples.temporaryDirectory("torn")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        do {
            let spool = try Spool(directory: dir)
            try spool.append(records(0..<5))
        }
        // Simulate a crash mid-write: half a frame at the end of the segment.
        let segment = try FileManager.default.contentsOfDirectory(atPath: dir).first { $0.hasSuffix(".spool") }!
        let handle = FileHandle(forWritingAtPath: dir + "/" + segment)!
        handle.seekToEndOfFile()
        var frame: [UInt8] = []
        SpoolFrame.encode(SpoolRecord(id: "torn", payload: Array(repeating: 65, count: 100)), into: &frame)
        handle.write(Data(frame.prefix(40)))
        handle.closeFile()
        let spool = try Spool(directory: dir)
        #expect(spool.depth == 5)
        try spool.append(records(5..<7))
        var seen: [SpoolRecord] = []
        while true {
            let (batch, end) = spool.peek(maxRecords: 3)
            if batch.isEmpty { break }
            seen += batch
            spool.acknowledge(through: end, records: batch.count)
        }
        #expect(seen == records(0..<7))
        #expect(spool.corruptSkips == 1)
    }

    @Test func fullSpoolRefusesWithAClearErrorAndKeepsWhatItHas() throws {
        let dir = Samples.temporaryDirectory("full")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let spool = try Spool(directory: dir, maxBytes: 1000)
        try spool.append(records(0..<20))
        #expect(throws: SpoolError.full(limit: 1000)) { try spool.append(records(20..<80)) }
        #expect(spool.depth == 20)
        #expect(SpoolError.full(limit: 1000).description.contains("dropped"))
    }

    @Test func diskFullIsAnErrorNotACrash() throws {
        // /dev/full answers every write with ENOSPC: the spool's own segment can't be placed there,
        // so check the file path through the same POSIX calls the spool uses.
        guard FileManager.default.fileExists(atPath: "/dev/full") else { return }
        let fd = try POSIX.openAppend("/dev/full")
        defer { POSIX.close(fd) }
        do {
            try POSIX.writeAll(fd, Array(repeating: 1, count: 100), path: "/dev/full")
            Issue.record("write to /dev/full succeeded")
        } catch {
            #expect(error.isDiskFull)
            #expect(SpoolError.diskFull(path: "x").reason == "disk-full")
        }
    }

    /// A 64 KiB tmpfs stands in for a full disk: needs root (to mount it).
    @Test(.enabled(if: geteuid() == 0, "needs root to mount a tmpfs"))
    func fullDiskIsCountedNotACrash() throws {
        let dir = Samples.temporaryDirectory("tmpfs")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(try TestProcess.run("/bin/mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", dir]) == 0, "mount a tmpfs")
        defer { _ = try? TestProcess.run("/bin/umount", [dir]) }
        let spool = try Spool(directory: dir + "/spool", segmentBytes: 16_384, maxBytes: 1 << 20)
        let big = (0..<200).map { SpoolRecord(id: "r\($0)", payload: Array(repeating: UInt8(ascii: "x"), count: 1000)) }
        var accepted = 0
        var diskFull: SpoolError?
        for record in big {
            do {
                try spool.append([record])
                accepted += 1
            } catch {
                diskFull = error
                break
            }
        }
        print("disk-full spool: \(accepted) records accepted before \(diskFull.map { "\($0)" } ?? "no error")")
        #expect(diskFull?.reason == "disk-full")
        #expect(accepted > 10 && accepted <= 66)  // ~1 KiB records in 64 KiB
        #expect(spool.depth == accepted)
        // Delivering frees segments; the spool takes records again and every accepted one is intact.
        var seen = 0
        while true {
            let (batch, end) = spool.peek(maxRecords: 50)
            if batch.isEmpty { break }
            #expect(batch.allSatisfy { $0.payload.count == 1000 })
            seen += batch.count
            spool.acknowledge(through: end, records: batch.count)
        }
        #expect(seen == accepted)
        try spool.append([big[0]])
        #expect(spool.depth == 1)
    }

    @Test func crc32MatchesZlib() {
        #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
    }
}
