import AirlockSystem
import Foundation

/// A durable, append-only queue of alert records on disk: what makes webhook and TCP-syslog
/// delivery survive receiver outages and Airlock restarts.
///
/// Layout: `DIR/segment-<16 digits>.spool` files of framed records (``SpoolFrame``) and a `cursor`
/// file naming the first undelivered byte (`<segment> <offset>`). Every start writes to a new
/// segment, so a torn tail left by a crash is never appended to; the reader skips it (counted in
/// ``corruptSkips``). Segments wholly before the cursor are deleted.
///
/// Durability (`fsync` policy): with `fsync: true` (the default) each batch is `fdatasync`ed before
/// ``append(_:)`` returns, so an alert the spool accepted survives a power loss; with `false` it
/// survives a crash of Airlock (the kernel holds the pages) but not of the machine. The cursor is
/// written with write-to-temporary + rename after each delivered batch: a crash between delivery and
/// the cursor write re-sends that batch (at-least-once), and receivers drop duplicates by id.
///
/// Thread-safe; one producer (the sink's spool writer) and one consumer (its delivery thread).
public final class Spool: @unchecked Sendable {
    public struct Position: Comparable, Sendable, CustomStringConvertible {
        public var segment: UInt64
        public var offset: Int
        public static func < (a: Position, b: Position) -> Bool {
            a.segment != b.segment ? a.segment < b.segment : a.offset < b.offset
        }
        public var description: String { "\(segment) \(offset)" }
    }

    public let directory: String
    public let segmentBytes: Int
    public let maxBytes: Int
    public let fsync: Bool

    private let lock = NSLock()
    private var cursor: Position
    private var writeSegment: UInt64
    private var writeFD: Int32 = -1
    private var writeSize = 0
    private var segments: [UInt64: Int] = [:]  // segment → size in bytes
    private var pendingRecords = 0
    private var pendingBytes = 0
    public private(set) var corruptSkips = 0

    /// Opens (or creates) the spool in `directory` and finds where delivery left off.
    public init(directory: String, segmentBytes: Int = 4 << 20, maxBytes: Int = 256 << 20, fsync: Bool = true)
        throws(SpoolError)
    {
        self.directory = directory
        self.segmentBytes = max(4096, segmentBytes)
        self.maxBytes = maxBytes
        self.fsync = fsync
        let fm = FileManager.default
        do {
            try fm.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw .directory(path: directory, reason: "cannot create: \(error.localizedDescription)")
        }
        guard fm.isWritableFile(atPath: directory) else { throw .directory(path: directory, reason: "not writable") }
        let names: [String]
        do { names = try fm.contentsOfDirectory(atPath: directory) } catch {
            throw .directory(path: directory, reason: "cannot list: \(error.localizedDescription)")
        }
        for name in names {
            guard name.hasPrefix("segment-"), name.hasSuffix(".spool"),
                let number = UInt64(name.dropFirst(8).dropLast(6))
            else { continue }
            let attributes = try? fm.attributesOfItem(atPath: directory + "/" + name)
            segments[number] = (attributes?[.size] as? Int) ?? 0
        }
        let first = segments.keys.min() ?? 1
        cursor = Position(segment: first, offset: 0)
        if let text = try? String(contentsOfFile: directory + "/cursor", encoding: .utf8) {
            let parts = text.split(whereSeparator: { $0 == " " || $0 == "\n" })
            if parts.count == 2, let s = UInt64(parts[0]), let o = Int(parts[1]), s >= first || segments.isEmpty {
                cursor = Position(segment: s, offset: o)
            }
        }
        writeSegment = max(segments.keys.max() ?? 0, cursor.segment) + 1
        for number in segments.keys where number < cursor.segment { removeSegment(number) }
        countPending()
    }

    deinit {
        if writeFD >= 0 { POSIX.close(writeFD) }
    }

    /// Records waiting for delivery.
    public var depth: Int { lock.withLock { pendingRecords } }
    /// Bytes waiting for delivery (framing included).
    public var bytes: Int { lock.withLock { pendingBytes } }

    /// Appends `records` durably (per the fsync policy). On error nothing of the batch is kept.
    public func append(_ records: [SpoolRecord]) throws(SpoolError) {
        guard !records.isEmpty else { return }
        var frame: [UInt8] = []
        for record in records { SpoolFrame.encode(record, into: &frame) }
        lock.lock()
        defer { lock.unlock() }
        guard pendingBytes + frame.count <= maxBytes else { throw .full(limit: maxBytes) }
        if writeFD >= 0 && writeSize > 0 && writeSize + frame.count > segmentBytes {
            POSIX.close(writeFD)
            writeFD = -1
            writeSegment += 1
        }
        let path = segmentPath(writeSegment)
        do {
            if writeFD < 0 {
                writeFD = try POSIX.openAppend(path)
                writeSize = 0
                segments[writeSegment] = 0
                if fsync { POSIX.fsyncDirectory(directory) }
            }
            try POSIX.writeAll(writeFD, frame, path: path)
            if fsync { try POSIX.fsync(writeFD, path: path) }
        } catch {
            // Cut a partial frame off so later appends stay readable.
            if writeFD >= 0 { POSIX.truncate(writeFD, to: writeSize) }
            throw error.isDiskFull ? .diskFull(path: path) : .io(error)
        }
        writeSize += frame.count
        segments[writeSegment] = writeSize
        pendingRecords += records.count
        pendingBytes += frame.count
    }

    /// Up to `maxRecords` undelivered records from the cursor on, and the position after them.
    public func peek(maxRecords: Int, maxBytes: Int = 1 << 20) -> (records: [SpoolRecord], end: Position) {
        lock.lock()
        defer { lock.unlock() }
        var records: [SpoolRecord] = []
        var position = cursor
        var budget = maxBytes
        while records.count < maxRecords {
            guard let size = segments[position.segment] else {
                // A gap (segment deleted or never written): move to the next one that exists.
                guard let next = segments.keys.filter({ $0 > position.segment }).min() else { break }
                position = Position(segment: next, offset: 0)
                continue
            }
            if position.offset >= size {
                guard let next = segments.keys.filter({ $0 > position.segment }).min() else { break }
                position = Position(segment: next, offset: 0)
                continue
            }
            let rest = size - position.offset
            var data = readSegment(position.segment, from: position.offset, count: min(rest, max(budget, 0) + 64 << 10))
            var offset = 0
            var stop = false
            while records.count < maxRecords && offset < data.count {
                switch SpoolFrame.decode(data[offset...]) {
                case .record(let record, let frameSize):
                    records.append(record)
                    offset += frameSize
                    budget -= frameSize
                    if budget <= 0 { stop = true }
                case .incomplete where data.count < rest:
                    if offset == 0 {
                        // One record larger than the read window: read the rest of the segment.
                        data = readSegment(position.segment, from: position.offset, count: rest)
                        continue
                    }
                    stop = true  // the read window ended mid-record: the next peek goes on from here
                case .incomplete, .corrupt:
                    // A torn tail from a crash mid-write, or damage: skip the rest of this segment.
                    corruptSkips += 1
                    offset = rest
                }
                if stop { break }
            }
            position.offset += offset
            if stop || data.isEmpty { break }
        }
        return (records, position)
    }

    /// Marks everything before `end` delivered: persists the cursor, deletes finished segments.
    public func acknowledge(through end: Position, records: Int) {
        lock.lock()
        defer { lock.unlock() }
        guard end > cursor else { return }
        var delivered = 0
        var s = cursor.segment
        while s <= end.segment {
            if let size = segments[s] {
                let from = s == cursor.segment ? cursor.offset : 0
                let to = s == end.segment ? end.offset : size
                delivered += max(0, to - from)
            }
            s += 1
        }
        cursor = end
        pendingBytes = max(0, pendingBytes - delivered)
        pendingRecords = max(0, pendingRecords - records)
        let text = "\(end.segment) \(end.offset)\n"
        let temporary = directory + "/cursor.tmp"
        if (try? text.write(toFile: temporary, atomically: false, encoding: .utf8)) != nil {
            _ = try? FileManager.default.removeItem(atPath: directory + "/cursor")
            try? FileManager.default.moveItem(atPath: temporary, toPath: directory + "/cursor")
        }
        for number in segments.keys where number < end.segment { removeSegment(number) }
        if end.segment != writeSegment, let size = segments[end.segment], end.offset >= size {
            removeSegment(end.segment)
        }
    }

    private func segmentPath(_ number: UInt64) -> String {
        let digits = String(number)
        return directory + "/segment-" + String(repeating: "0", count: max(0, 16 - digits.count)) + digits + ".spool"
    }

    private func removeSegment(_ number: UInt64) {
        try? FileManager.default.removeItem(atPath: segmentPath(number))
        segments[number] = nil
    }

    private func readSegment(_ number: UInt64, from offset: Int, count: Int) -> [UInt8] {
        guard count > 0, let handle = FileHandle(forReadingAtPath: segmentPath(number)) else { return [] }
        defer { try? handle.close() }
        do {
            try handle.seek(toOffset: UInt64(offset))
            return Array(try handle.read(upToCount: count) ?? Data())
        } catch {
            return []
        }
    }

    /// Counts the undelivered records at start-up (one pass over the spooled bytes).
    private func countPending() {
        var records = 0, bytes = 0
        for number in segments.keys.sorted() where number >= cursor.segment {
            let from = number == cursor.segment ? cursor.offset : 0
            let data = readSegment(number, from: from, count: max(0, (segments[number] ?? 0) - from))
            var offset = 0
            scan: while offset < data.count {
                switch SpoolFrame.decode(data[offset...]) {
                case .record(_, let size):
                    records += 1
                    offset += size
                case .incomplete, .corrupt:
                    break scan
                }
            }
            bytes += offset
        }
        pendingRecords = records
        pendingBytes = bytes
    }
}
