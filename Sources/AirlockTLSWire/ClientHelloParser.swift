/// Reads the ClientHello at the start of a client's byte stream: the record layer (with handshake
/// reassembly across records) here, the hello body in `ClientHelloParser+Body.swift`.
///
/// Made for a proxy or replay that sees the first bytes of a TCP connection and must decide, before
/// forwarding anything, where the client is going. It never reads past `bytes`, never traps on any
/// input, and allocates nothing before the hello is known to be complete; a hello spread over
/// several records is copied once into one contiguous buffer, a single-record hello is read in place.
public enum ClientHelloParser {
    /// TLSPlaintext.length limit (RFC 8446 §5.1).
    public static let maximumRecordLength = 16_384
    /// Largest ClientHello accepted. Real hellos are well under 2 KiB even with post-quantum key
    /// shares; the cap bounds how much a client can make the proxy buffer before it decides.
    public static let maximumHandshakeLength = 65_536

    static let handshakeRecord: UInt8 = 22
    static let clientHelloType: UInt8 = 1

    /// Parses the bytes a client sent first on a connection, counted from its first byte.
    ///
    /// - Returns: `.clientHello` when complete; `.needMoreData` when `bytes` is a valid but short prefix
    ///   (call again with more bytes, from the start); `.notTLS` when the stream is not a TLS handshake;
    ///   `.unsupported` for SSL 2.0-format hellos; `.malformed` with a stable reason otherwise.
    public static func parse(_ bytes: Span<UInt8>) -> ClientHelloParseResult {
        let n = bytes.count
        guard n > 0 else { return .needMoreData(minimumTotal: 5) }
        guard bytes[0] == handshakeRecord else { return classifyNonHandshakeStart(bytes) }
        if n >= 2 && bytes[1] != 3 { return .notTLS }
        let recordVersion: UInt16? = n >= 3 ? UInt16(bytes[1]) << 8 | UInt16(bytes[2]) : nil

        var offset = 0
        var recordCount = 0
        var collected = 0  // handshake bytes in complete records so far
        var header: UInt32 = 0  // the 4-byte handshake header, as it accumulates
        var headerBytes = 0
        var needed: Int?  // 4 + handshake length, once the header is complete

        while true {
            guard offset + 5 <= n else {
                if offset > 0 {
                    if offset < n && bytes[offset] != handshakeRecord { return .malformed(.unexpectedRecordType) }
                    if offset + 1 < n && bytes[offset + 1] != 3 { return .malformed(.invalidRecordVersion) }
                }
                return .needMoreData(minimumTotal: offset + 5 + ((needed ?? 4) - collected))
            }
            if bytes[offset] != handshakeRecord { return .malformed(.unexpectedRecordType) }
            if bytes[offset + 1] != 3 { return .malformed(.invalidRecordVersion) }
            let length = Int(bytes[offset + 3]) << 8 | Int(bytes[offset + 4])
            if length == 0 { return .malformed(.emptyRecord) }
            if length > maximumRecordLength { return .malformed(.recordTooLong) }
            recordCount += 1

            let bodyStart = offset + 5
            let recordEnd = bodyStart + length
            let availableEnd = min(recordEnd, n)
            var i = bodyStart
            while headerBytes < 4 && i < availableEnd {
                header = header << 8 | UInt32(bytes[i])
                headerBytes += 1
                i += 1
                if headerBytes == 1 && header != UInt32(clientHelloType) { return .malformed(.notClientHello) }
            }
            if headerBytes == 4 && needed == nil {
                let handshakeLength = Int(header & 0xFF_FFFF)
                if handshakeLength > maximumHandshakeLength { return .malformed(.handshakeTooLong) }
                needed = 4 + handshakeLength
            }

            let afterRecord = collected + length
            guard recordEnd <= n else {
                let target = needed ?? 4
                let bound = afterRecord >= target ? recordEnd : recordEnd + 5 + (target - afterRecord)
                return .needMoreData(minimumTotal: bound)
            }
            collected = afterRecord
            if let needed, collected >= needed {
                return finish(
                    bytes, needed: needed, recordCount: recordCount, byteCount: recordEnd,
                    recordVersion: recordVersion ?? 0)
            }
            offset = recordEnd
        }
    }

    /// Convenience for callers holding an array.
    public static func parse(_ bytes: [UInt8]) -> ClientHelloParseResult {
        parse(bytes.span)
    }

    /// The hello is complete: read it in place when it sits in one record, else gather the fragments.
    private static func finish(
        _ bytes: Span<UInt8>, needed: Int, recordCount: Int, byteCount: Int, recordVersion: UInt16
    ) -> ClientHelloParseResult {
        let context = RecordContext(recordVersion: recordVersion, recordCount: recordCount, byteCount: byteCount)
        do {
            if recordCount == 1 {
                return .clientHello(try parseBody(bytes.extracting(9..<(5 + needed)), context: context))
            }
            var message: [UInt8] = []
            message.reserveCapacity(needed)
            var offset = 0
            while message.count < needed {
                let length = Int(bytes[offset + 3]) << 8 | Int(bytes[offset + 4])
                let take = min(length, needed - message.count)
                for i in (offset + 5)..<(offset + 5 + take) { message.append(bytes[i]) }
                offset += 5 + length
            }
            return .clientHello(try parseBody(message.span.extracting(4..<needed), context: context))
        } catch {
            return .malformed(error)
        }
    }

    /// A stream that does not start with a handshake record: SSL 2.0-format hello, or not TLS at all.
    ///
    /// SSLv2 CLIENT-HELLO (also sent by old clients as an SSLv3/TLS-compatible hello): a 2-byte
    /// header with the top bit set, message type 1, then version 0x0002 or 0x03xx.
    private static func classifyNonHandshakeStart(_ bytes: Span<UInt8>) -> ClientHelloParseResult {
        guard bytes[0] & 0x80 != 0 else { return .notTLS }
        let n = bytes.count
        if n >= 3 && bytes[2] != 1 { return .notTLS }
        if n >= 4 && bytes[3] != 0 && bytes[3] != 3 { return .notTLS }
        if n >= 5 {
            let versionOK = bytes[3] == 0 ? bytes[4] == 2 : bytes[4] <= 4
            return versionOK ? .unsupported(.sslv2ClientHello) : .notTLS
        }
        return .needMoreData(minimumTotal: 5)
    }
}

/// Record-layer facts the body parser copies into the result.
struct RecordContext {
    var recordVersion: UInt16
    var recordCount: Int
    var byteCount: Int
}
