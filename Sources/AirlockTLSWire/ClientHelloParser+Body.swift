/// The ClientHello body (RFC 8446 §4.1.2) and the extensions policy reads.
extension ClientHelloParser {
    /// Parses the handshake message body (after the 4-byte handshake header), exactly its length.
    static func parseBody(_ body: Span<UInt8>, context: RecordContext) throws(TLSParseError) -> ClientHello {
        var c = Cursor(end: body.count)
        let legacyVersion = try c.u16(body)
        try c.skip(32)  // random
        let sessionIDLength = Int(try c.u8(body))
        if sessionIDLength > 32 { throw .invalidSessionID }
        try c.skip(sessionIDLength)

        let suitesLength = Int(try c.u16(body))
        if suitesLength == 0 || suitesLength % 2 != 0 { throw .invalidCipherSuites }
        let suitesEnd = try c.advance(suitesLength)
        var usesGREASE = false
        var s = suitesEnd - suitesLength
        while s < suitesEnd {
            if GREASE.isGREASE(UInt16(body[s]) << 8 | UInt16(body[s + 1])) { usesGREASE = true }
            s += 2
        }
        let compressionLength = Int(try c.u8(body))
        if compressionLength == 0 { throw .invalidCompressionMethods }
        try c.skip(compressionLength)

        var hello = ClientHello(
            recordVersion: context.recordVersion, legacyVersion: legacyVersion, supportedVersions: [],
            serverNames: [], hasServerNameExtension: false, alpnProtocols: [], hasEncryptedClientHello: false,
            hasEncryptedServerName: false, cipherSuiteCount: suitesLength / 2, extensionTypes: [],
            usesGREASE: usesGREASE, sessionIDLength: sessionIDLength, recordCount: context.recordCount,
            byteCount: context.byteCount)

        // Extensions are optional in the encoding (pre-TLS 1.2 clients may stop here).
        guard c.offset < c.end else { return hello }
        let extensionsLength = Int(try c.u16(body))
        guard c.offset + extensionsLength == c.end else { throw .extensionsLengthMismatch }

        var seen = Set<UInt16>()
        while c.offset < c.end {
            guard c.end - c.offset >= 4 else { throw .truncatedExtension }
            let type = try c.u16(body)
            let length = Int(try c.u16(body))
            guard length <= c.end - c.offset else { throw .truncatedExtension }
            let start = c.offset
            c.offset += length
            guard seen.insert(type).inserted else { throw .duplicateExtension }
            hello.extensionTypes.append(type)
            if GREASE.isGREASE(type) { hello.usesGREASE = true }
            let data = body.extracting(start..<(start + length))
            switch type {
            case TLSExtensionType.serverName:
                hello.hasServerNameExtension = true
                try parseServerNames(data, into: &hello)
            case TLSExtensionType.applicationLayerProtocolNegotiation:
                try parseALPN(data, into: &hello)
            case TLSExtensionType.supportedVersions:
                try parseSupportedVersions(data, into: &hello)
            case TLSExtensionType.encryptedClientHello:
                hello.hasEncryptedClientHello = true
            case TLSExtensionType.encryptedServerName:
                hello.hasEncryptedServerName = true
            default:
                break
            }
        }
        return hello
    }

    /// server_name (RFC 6066 §3): `ServerName server_name_list<1..2^16-1>`, each entry
    /// `NameType name_type; opaque HostName<1..2^16-1>`. Only host_name (0) is defined; other types
    /// are skipped on the same length prefix. Empty host names are kept and flagged, not rejected,
    /// so policy can see the attempt.
    static func parseServerNames(_ data: Span<UInt8>, into hello: inout ClientHello) throws(TLSParseError) {
        var c = Cursor(end: data.count)
        guard let listLength = try? c.u16(data), Int(listLength) == c.end - c.offset, listLength > 0 else {
            throw .malformedServerName
        }
        while c.offset < c.end {
            guard c.end - c.offset >= 3 else { throw .malformedServerName }
            let nameType = data[c.offset]
            let length = Int(data[c.offset + 1]) << 8 | Int(data[c.offset + 2])
            c.offset += 3
            guard length <= c.end - c.offset else { throw .malformedServerName }
            if nameType == 0 {
                hello.serverNames.append(ServerName(bytes: data.extracting(c.offset..<(c.offset + length))))
            }
            c.offset += length
        }
    }

    /// ALPN (RFC 7301 §3.1): `ProtocolName protocol_name_list<2..2^16-1>`, each `opaque ProtocolName<1..2^8-1>`.
    static func parseALPN(_ data: Span<UInt8>, into hello: inout ClientHello) throws(TLSParseError) {
        var c = Cursor(end: data.count)
        guard let listLength = try? c.u16(data), Int(listLength) == c.end - c.offset, listLength >= 2 else {
            throw .malformedALPN
        }
        while c.offset < c.end {
            let length = Int(data[c.offset])
            c.offset += 1
            guard length > 0, length <= c.end - c.offset else { throw .malformedALPN }
            if length == 2 && GREASE.isGREASE(UInt16(data[c.offset]) << 8 | UInt16(data[c.offset + 1])) {
                hello.usesGREASE = true
            } else {
                var text: [UInt8] = []
                text.reserveCapacity(length)
                for i in c.offset..<(c.offset + length) { ServerName.appendEscaped(data[i], to: &text) }
                hello.alpnProtocols.append(String(decoding: text, as: UTF8.self))
            }
            c.offset += length
        }
    }

    /// supported_versions in a ClientHello (RFC 8446 §4.2.1): `ProtocolVersion versions<2..254>`.
    static func parseSupportedVersions(_ data: Span<UInt8>, into hello: inout ClientHello) throws(TLSParseError) {
        guard data.count >= 1 else { throw .malformedSupportedVersions }
        let length = Int(data[0])
        guard length >= 2, length % 2 == 0, length == data.count - 1 else { throw .malformedSupportedVersions }
        var i = 1
        while i < data.count {
            let version = UInt16(data[i]) << 8 | UInt16(data[i + 1])
            if GREASE.isGREASE(version) { hello.usesGREASE = true } else { hello.supportedVersions.append(version) }
            i += 2
        }
    }
}

/// A read position inside a span the caller passes to each call (a Span cannot be stored).
struct Cursor {
    var offset = 0
    let end: Int

    init(end: Int) { self.end = end }

    mutating func u8(_ s: Span<UInt8>) throws(TLSParseError) -> UInt8 {
        guard offset < end else { throw .truncatedClientHello }
        defer { offset += 1 }
        return s[offset]
    }

    mutating func u16(_ s: Span<UInt8>) throws(TLSParseError) -> UInt16 {
        guard end - offset >= 2 else { throw .truncatedClientHello }
        defer { offset += 2 }
        return UInt16(s[offset]) << 8 | UInt16(s[offset + 1])
    }

    mutating func skip(_ count: Int) throws(TLSParseError) {
        guard end - offset >= count else { throw .truncatedClientHello }
        offset += count
    }

    /// Skips `count` bytes and returns the new offset (the end of the skipped range).
    mutating func advance(_ count: Int) throws(TLSParseError) -> Int {
        try skip(count)
        return offset
    }
}
