/// Hand-built packets for unit tests: each layer is a function wrapping the next layer's bytes.
public enum Build {
    public static func be16(_ value: Int) -> [UInt8] { [UInt8(truncatingIfNeeded: value >> 8), UInt8(truncatingIfNeeded: value)] }
    public static func be32(_ value: UInt32) -> [UInt8] { [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: value >> UInt32($0)) } }

    /// A DNS query for `name` (class IN, RD set) with identifier `id`, built by hand so tests do not
    /// check the project's message builder with itself.
    public static func dnsQuery(id: Int, name: String = "example.com", type: Int = 1, padding: Int = 0) -> [UInt8] {
        var message = be16(id) + [0x01, 0x00] + be16(1) + be16(0) + be16(0) + be16(padding > 0 ? 1 : 0)
        for label in name.split(separator: ".") {
            message.append(UInt8(label.utf8.count))
            message += Array(label.utf8)
        }
        message += [0] + be16(type) + be16(1)
        if padding > 0 {
            // An OPT record with a padding option, to make long messages.
            message += [0] + be16(41) + be16(1232) + [0, 0, 0, 0] + be16(4 + padding) + be16(12) + be16(padding)
            message += [UInt8](repeating: 0, count: padding)
        }
        return message
    }

    /// A message with its 2-byte TCP length prefix.
    public static func framed(_ message: [UInt8]) -> [UInt8] { be16(message.count) + message }

    public static func ethernet(_ payload: [UInt8], etherType: Int = 0x0800, vlans: [Int] = []) -> [UInt8] {
        var frame: [UInt8] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]
        for tpid in vlans { frame += be16(tpid) + be16(100) }
        return frame + be16(etherType) + payload
    }

    public static func ipv4(
        _ payload: [UInt8], protocolNumber: UInt8 = 17, source: UInt32 = 0xC612_0001, destination: UInt32 = 0xC612_0035,
        identification: Int = 0x1234, moreFragments: Bool = false, fragmentOffset: Int = 0, options: [UInt8] = [],
        totalLength: Int? = nil
    ) -> [UInt8] {
        let headerLength = 20 + options.count
        var header: [UInt8] = [UInt8(0x40 | headerLength / 4), 0]
        header += be16(totalLength ?? headerLength + payload.count) + be16(identification)
        header += be16((moreFragments ? 0x2000 : 0) | fragmentOffset / 8)
        header += [64, protocolNumber, 0, 0] + be32(source) + be32(destination) + options
        return header + payload
    }

    public static let v6Source: [UInt8] = [0x20, 0x01, 0x0d, 0xb8] + [UInt8](repeating: 0, count: 11) + [1]
    public static let v6Destination: [UInt8] = [0x20, 0x01, 0x0d, 0xb8] + [UInt8](repeating: 0, count: 11) + [0x53]

    /// IPv6 with optional extension headers, given as (type, body) pairs; bodies are padded to 8 bytes.
    public static func ipv6(_ payload: [UInt8], nextHeader: UInt8 = 17, extensions: [(UInt8, [UInt8])] = []) -> [UInt8] {
        var chain: [UInt8] = []
        var types = extensions.map(\.0) + [nextHeader]
        var first = nextHeader
        if !extensions.isEmpty {
            first = types.removeFirst()
            for (index, ext) in extensions.enumerated() {
                if ext.0 == 44 {
                    chain += [types[index], 0] + ext.1
                } else {
                    var body = [types[index], 0] + ext.1
                    while body.count % 8 != 0 { body.append(0) }
                    body[1] = UInt8(body.count / 8 - 1)
                    chain += body
                }
            }
        }
        let body = chain + payload
        return [0x60, 0, 0, 0] + be16(body.count) + [first, 64] + v6Source + v6Destination + body
    }

    /// A fragment header body (6 bytes after next-header and reserved).
    public static func fragmentHeader(offset: Int, more: Bool, identification: UInt32) -> [UInt8] {
        be16(offset | (more ? 1 : 0)) + be32(identification)
    }

    public static func udp(_ payload: [UInt8], source: Int = 40000, destination: Int = 53, length: Int? = nil) -> [UInt8] {
        be16(source) + be16(destination) + be16(length ?? 8 + payload.count) + [0, 0] + payload
    }

    public static let fin: UInt8 = 0x01, syn: UInt8 = 0x02, rst: UInt8 = 0x04, psh: UInt8 = 0x08, ack: UInt8 = 0x10

    public static func tcp(
        _ payload: [UInt8], source: Int = 40000, destination: Int = 53, sequence: UInt32, acknowledgement: UInt32 = 0,
        flags: UInt8 = 0x18, options: [UInt8] = []
    ) -> [UInt8] {
        let offset = (20 + options.count) / 4
        return be16(source) + be16(destination) + be32(sequence) + be32(acknowledgement)
            + [UInt8(offset << 4), flags] + be16(65535) + [0, 0, 0, 0] + options + payload
    }
}
