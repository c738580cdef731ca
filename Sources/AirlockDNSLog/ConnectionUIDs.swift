import AirlockEvents

/// Zeek-style connection identifiers (`C` and 17 base62 characters): one per (transport, client,
/// server) conversation, a new one after ``idleSeconds`` without traffic (Zeek's UDP inactivity
/// timeout), so every transaction over one socket pair shares a `uid` as in Zeek.
///
/// Deterministic (a hash of the conversation and its first packet's time, not a random number), so
/// the same capture gives the same log twice and tests can compare lines. Bounded by two
/// generations of ``capacity``/2 conversations each.
struct ConnectionUIDs: Sendable {
    struct Key: Hashable, Sendable {
        var proto: Transport
        var client: Endpoint
        var server: Endpoint
    }

    struct Entry: Sendable {
        var uid: String
        var lastSeen: Timestamp
    }

    private var current: [Key: Entry] = [:]
    private var previous: [Key: Entry] = [:]
    let capacity = 400_000
    let idleSeconds = 60.0

    mutating func uid(_ proto: Transport, _ client: Endpoint, _ server: Endpoint, at time: Timestamp) -> String {
        let key = Key(proto: proto, client: client, server: server)
        if var entry = current[key] ?? previous[key], time.seconds(since: entry.lastSeen) <= idleSeconds {
            entry.lastSeen = max(entry.lastSeen, time)
            current[key] = entry
            return entry.uid
        }
        let uid = Self.make(key, time)
        if current.count >= capacity / 2 {
            previous = current
            current = [:]
        }
        current[key] = Entry(uid: uid, lastSeen: time)
        return uid
    }

    /// `C` + 17 base62 digits of two FNV-1a-64 hashes over the conversation and its start time.
    static func make(_ key: Key, _ time: Timestamp) -> String {
        let text = "\(key.proto.rawValue)|\(key.client)|\(key.server)|\(time.nanoseconds)"
        var a: UInt64 = 0xcbf2_9ce4_8422_2325
        var b: UInt64 = 0x8422_2325_cbf2_9ce4
        for byte in text.utf8 {
            a = (a ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
            b = (b ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 &+ 1
        }
        let digits = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
        var out = "C"
        for i in 0..<17 {
            let source = i < 9 ? a : b
            let value = i < 9 ? (source >> UInt64(i * 6)) : (source >> UInt64((i - 9) * 7))
            out.append(digits[Int(value % 62)])
        }
        return out
    }
}

/// Zeek's way of writing bytes in a log string: printable ASCII as is, everything else `\xNN`.
enum ZeekText {
    /// A name's wire labels (no root byte) joined by dots; "" for the root.
    static func name(_ wire: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(wire.count)
        var i = 0
        while i < wire.count {
            let n = Int(wire[i])
            if i > 0 { out.append(0x2E) }
            let end = min(i + 1 + n, wire.count)
            for c in wire[(i + 1)..<end] { append(c, to: &out) }
            i = end
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func append(_ c: UInt8, to out: inout [UInt8]) {
        if c >= 0x20 && c < 0x7F && c != 0x5C {
            out.append(c)
        } else {
            out.append(0x5C)
            out.append(0x78)
            out.append(hexDigit(c >> 4))
            out.append(hexDigit(c & 0xF))
        }
    }

    static func hexDigit(_ v: UInt8) -> UInt8 { v < 10 ? 0x30 + v : 0x57 + v }
}
