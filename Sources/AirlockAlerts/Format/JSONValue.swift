import AirlockEvents

/// A JSON value with object keys kept in insertion order, so records are byte-for-byte reproducible
/// (the same traffic gives the same lines live and in replay) and read in a sensible order. Strings
/// and numbers are written by ``JSON``, as every other JSON Airlock prints.
public indirect enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([JSONMember])

    /// Compact serialisation (no spaces), one line.
    public var rendered: String {
        var out = ""
        out.reserveCapacity(2048)  // an OCSF alert record is ~1-2 KB: one allocation instead of a doubling series
        write(to: &out)
        return out
    }

    func write(to out: inout String) {
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .double(let d): out += JSON.number(d)
        case .string(let s): JSON.appendString(s, to: &out)
        case .array(let items):
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += "," }
                item.write(to: &out)
            }
            out += "]"
        case .object(let members):
            out += "{"
            for (i, member) in members.enumerated() {
                if i > 0 { out += "," }
                JSON.appendString(member.key, to: &out)
                out += ":"
                member.value.write(to: &out)
            }
            out += "}"
        }
    }
}

/// One `"key": value` pair of a ``JSONValue/object(_:)``.
public struct JSONMember: Sendable, Equatable {
    public var key: String
    public var value: JSONValue

    public init(_ key: String, _ value: JSONValue) {
        self.key = key
        self.value = value
    }
}

/// Builds an object member by member, skipping absent optionals.
struct JSONObjectBuilder {
    private(set) var members: [JSONMember] = []

    mutating func add(_ key: String, _ value: JSONValue) { members.append(JSONMember(key, value)) }
    mutating func add(_ key: String, _ value: String?) { if let value { add(key, .string(value)) } }
    mutating func add(_ key: String, _ value: Int?) { if let value { add(key, .int(Int64(value))) } }
    mutating func add(_ key: String, _ value: Int64?) { if let value { add(key, .int(value)) } }
    mutating func add(_ key: String, _ value: Double?) { if let value { add(key, .double(value)) } }
    mutating func add(_ key: String, _ value: Bool?) { if let value { add(key, .bool(value)) } }

    var value: JSONValue { .object(members) }
}
