import AirlockTLSWire

/// Bytes from a hex string (fixtures); traps on bad hex, which would be a broken fixture.
func bytes(hex: String) -> [UInt8] {
    let digits = Array(hex.utf8)
    precondition(digits.count % 2 == 0, "odd hex length")
    func nibble(_ c: UInt8) -> UInt8 {
        switch c {
        case 0x30...0x39: return c - 0x30
        case 0x61...0x66: return c - 0x61 + 10
        case 0x41...0x46: return c - 0x41 + 10
        default: preconditionFailure("bad hex digit")
        }
    }
    return stride(from: 0, to: digits.count, by: 2).map { nibble(digits[$0]) << 4 | nibble(digits[$0 + 1]) }
}

extension ClientHelloParseResult {
    /// The hello, or nil for any other outcome (lets tests use `try #require`).
    var hello: ClientHello? {
        if case .clientHello(let hello) = self { return hello }
        return nil
    }

    var isNeedMoreData: Bool {
        if case .needMoreData = self { return true }
        return false
    }
}

/// The handshake message (header + body) carried by a stream of handshake records.
func handshakeMessage(fromRecords stream: [UInt8]) -> [UInt8] {
    var out: [UInt8] = []
    var offset = 0
    while offset + 5 <= stream.count {
        let length = Int(stream[offset + 3]) << 8 | Int(stream[offset + 4])
        out += stream[(offset + 5)..<min(offset + 5 + length, stream.count)]
        offset += 5 + length
    }
    return out
}

/// Wraps a handshake message in handshake records of at most `fragment` bytes each.
func records(_ message: [UInt8], fragment: Int, version: UInt16 = 0x0301) -> [UInt8] {
    var out: [UInt8] = []
    var offset = 0
    while offset < message.count {
        let n = min(fragment, message.count - offset)
        out += [22, UInt8(version >> 8), UInt8(version & 0xFF), UInt8(n >> 8), UInt8(n & 0xFF)]
        out += message[offset..<(offset + n)]
        offset += n
    }
    return out
}

func u16(_ v: Int) -> [UInt8] { [UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)] }

/// Builds ClientHellos field by field, so each malformation is exactly one change from a valid hello.
struct HelloBuilder {
    var legacyVersion: UInt16 = 0x0303
    var sessionID: [UInt8] = Array(repeating: 0x11, count: 32)
    var cipherSuites: [UInt16] = [0x1301, 0x1302, 0xC02F]
    var compression: [UInt8] = [0]
    var extensions: [(type: UInt16, data: [UInt8])] = []
    /// When false the extensions block (and its length) is left out entirely.
    var includeExtensionsBlock = true

    static func serverName(_ names: [[UInt8]], nameType: UInt8 = 0) -> (type: UInt16, data: [UInt8]) {
        var list: [UInt8] = []
        for name in names { list += [nameType] + u16(name.count) + name }
        return (0, u16(list.count) + list)
    }

    static func serverName(_ name: String) -> (type: UInt16, data: [UInt8]) { serverName([Array(name.utf8)]) }

    static func alpn(_ ids: [[UInt8]]) -> (type: UInt16, data: [UInt8]) {
        var list: [UInt8] = []
        for id in ids { list += [UInt8(id.count)] + id }
        return (16, u16(list.count) + list)
    }

    static func alpn(_ ids: [String]) -> (type: UInt16, data: [UInt8]) { alpn(ids.map { Array($0.utf8) }) }

    static func supportedVersions(_ versions: [UInt16]) -> (type: UInt16, data: [UInt8]) {
        (43, [UInt8(versions.count * 2)] + versions.flatMap { u16(Int($0)) })
    }

    /// The hello body (after the handshake header).
    var body: [UInt8] {
        var b = u16(Int(legacyVersion)) + Array(repeating: 0x42, count: 32)
        b += [UInt8(sessionID.count)] + sessionID
        b += u16(cipherSuites.count * 2) + cipherSuites.flatMap { u16(Int($0)) }
        b += [UInt8(compression.count)] + compression
        if includeExtensionsBlock {
            var ext: [UInt8] = []
            for e in extensions { ext += u16(Int(e.type)) + u16(e.data.count) + e.data }
            b += u16(ext.count) + ext
        }
        return b
    }

    /// Handshake message: type 1, 24-bit length, body.
    var message: [UInt8] {
        let b = body
        return [1, UInt8(b.count >> 16), UInt8((b.count >> 8) & 0xFF), UInt8(b.count & 0xFF)] + b
    }

    /// The message in one record (or several of at most `fragment` bytes).
    func stream(fragment: Int = 16_384) -> [UInt8] { records(message, fragment: fragment) }
}
