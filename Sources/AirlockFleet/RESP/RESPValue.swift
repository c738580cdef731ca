/// One RESP2 value, as Redis replies (https://redis.io/docs/latest/develop/reference/protocol-spec/).
///
/// Airlock speaks RESP2 only (it never sends `HELLO 3`), so these five kinds are all a reply can be.
public enum RESPValue: Sendable, Equatable {
    /// `+OK`
    case simple(String)
    /// `-ERR message`: the command failed; the connection is still good.
    case error(String)
    /// `:42`
    case integer(Int64)
    /// `$3 abc`, or nil for the null bulk string `$-1`.
    case bulk([UInt8]?)
    /// `*2 …`, or nil for the null array `*-1` (XREAD with nothing new).
    case array([RESPValue]?)

    /// A bulk or simple string as text (UTF-8, invalid bytes replaced).
    public var text: String? {
        switch self {
        case .simple(let s): return s
        case .bulk(let bytes?): return String(decoding: bytes, as: UTF8.self)
        default: return nil
        }
    }

    /// An integer reply, or a bulk string holding a decimal integer (GET of a counter).
    public var number: Int64? {
        switch self {
        case .integer(let n): return n
        case .bulk(let bytes?): return Int64(String(decoding: bytes, as: UTF8.self))
        default: return nil
        }
    }

    /// The elements of an array reply (empty for the null array).
    public var elements: [RESPValue]? {
        switch self {
        case .array(let items): return items ?? []
        default: return nil
        }
    }
}

/// Commands to Redis: arrays of bulk strings, the only form a client sends.
public enum RESPCommand {
    /// `*N\r\n$len\r\narg\r\n…`
    public static func encode(_ arguments: [String], into out: inout [UInt8]) {
        out.append(UInt8(ascii: "*"))
        out.append(contentsOf: String(arguments.count).utf8)
        out.append(contentsOf: [13, 10])
        for argument in arguments {
            out.append(UInt8(ascii: "$"))
            out.append(contentsOf: String(argument.utf8.count).utf8)
            out.append(contentsOf: [13, 10])
            out.append(contentsOf: argument.utf8)
            out.append(contentsOf: [13, 10])
        }
    }

    public static func encode(_ arguments: [String]) -> [UInt8] {
        var out: [UInt8] = []
        encode(arguments, into: &out)
        return out
    }
}
