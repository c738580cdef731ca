import AirlockSystem
/// One spooled alert: its stable id and the exact bytes the sink sends (a formatted record).
public struct SpoolRecord: Sendable, Equatable {
    public var id: String
    public var payload: [UInt8]

    public init(id: String, payload: [UInt8]) {
        self.id = id
        self.payload = payload
    }
}

/// Why the spool refused or lost records. Never fatal: the caller counts it and carries on.
public enum SpoolError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The disk is full (ENOSPC/EDQUOT): the batch was not written.
    case diskFull(path: String)
    /// The spool holds `limit` bytes already (the configured bound): the batch was not written.
    case full(limit: Int)
    /// Any other I/O error.
    case io(SystemError)
    /// The spool directory can't be created or read.
    case directory(path: String, reason: String)

    public var description: String {
        switch self {
        case .diskFull(let path): return "spool \(path): disk full, alerts dropped"
        case .full(let limit): return "spool holds its limit of \(limit) bytes, alerts dropped"
        case .io(let error): return "spool: \(error)"
        case .directory(let path, let reason): return "spool directory \(path): \(reason)"
        }
    }

    /// The metric label for drops.
    public var reason: String {
        switch self {
        case .diskFull: return "disk-full"
        case .full: return "spool-full"
        case .io: return "io-error"
        case .directory: return "directory"
        }
    }
}

/// On-disk framing: `0xA7, length u32, crc32 u32, payload` where payload is
/// `id length u8, id, record bytes` (big-endian integers). The CRC tells a torn tail (a crash in the
/// middle of a write) from a record.
enum SpoolFrame {
    static let magic: UInt8 = 0xA7
    static let headerSize = 9

    static func encode(_ record: SpoolRecord, into out: inout [UInt8]) {
        let id = Array(record.id.utf8.prefix(255))
        var payload: [UInt8] = [UInt8(id.count)]
        payload.reserveCapacity(1 + id.count + record.payload.count)
        payload += id
        payload += record.payload
        out.append(magic)
        appendUInt32(UInt32(payload.count), to: &out)
        appendUInt32(CRC32.checksum(payload), to: &out)
        out += payload
    }

    enum Decoded {
        case record(SpoolRecord, size: Int)
        /// Not enough bytes yet (end of data): nothing more to read here.
        case incomplete
        /// Bytes that are not a record (torn write, corruption).
        case corrupt
    }

    static func decode(_ bytes: ArraySlice<UInt8>) -> Decoded {
        guard bytes.count >= headerSize else { return bytes.isEmpty ? .incomplete : (bytes.first == magic ? .incomplete : .corrupt) }
        let base = bytes.startIndex
        guard bytes[base] == magic else { return .corrupt }
        let length = Int(readUInt32(bytes, base + 1))
        let crc = readUInt32(bytes, base + 5)
        guard length >= 1, length <= 64 << 20 else { return .corrupt }
        guard bytes.count >= headerSize + length else { return .incomplete }
        let payload = bytes[(base + headerSize)..<(base + headerSize + length)]
        guard CRC32.checksum(payload) == crc else { return .corrupt }
        let idLength = Int(payload[payload.startIndex])
        guard idLength < length else { return .corrupt }
        let idStart = payload.startIndex + 1
        let id = String(decoding: payload[idStart..<(idStart + idLength)], as: UTF8.self)
        return .record(SpoolRecord(id: id, payload: Array(payload[(idStart + idLength)...])), size: headerSize + length)
    }

    private static func appendUInt32(_ v: UInt32, to out: inout [UInt8]) {
        out.append(UInt8(v >> 24)); out.append(UInt8((v >> 16) & 0xFF))
        out.append(UInt8((v >> 8) & 0xFF)); out.append(UInt8(v & 0xFF))
    }

    private static func readUInt32(_ b: ArraySlice<UInt8>, _ i: Int) -> UInt32 {
        UInt32(b[i]) << 24 | UInt32(b[i + 1]) << 16 | UInt32(b[i + 2]) << 8 | UInt32(b[i + 3])
    }
}

/// CRC-32 (IEEE 802.3, reflected, as zlib computes it).
enum CRC32 {
    private static let table: [UInt32] = (0..<256).map { i -> UInt32 in
        var c = UInt32(i)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    static func checksum<C: Collection>(_ bytes: C) -> UInt32 where C.Element == UInt8 {
        var c: UInt32 = 0xFFFF_FFFF
        for b in bytes { c = table[Int((c ^ UInt32(b)) & 0xFF)] ^ (c >> 8) }
        return c ^ 0xFFFF_FFFF
    }
}
