/// Finds the end of a chunked body (RFC 9112 §7.1) in a stream, without copying it.
///
/// The proxy forwards chunked bodies byte for byte; this state machine validates them as they
/// pass and says how many of the offered bytes belong to the body, so the bytes after it (the
/// next pipelined request) are never forwarded as part of this one. Strict where readers differ:
/// the size is 1–15 hex digits with no sign, prefix or whitespace; extensions and trailers are
/// bounded; every CRLF must be exactly CRLF.
public struct ChunkedBodyDecoder: Sendable, Hashable {
    enum State: Hashable, Sendable {
        case size(digits: Int, value: UInt64)
        case sizeLF(value: UInt64)
        case `extension`(value: UInt64, bytes: Int)
        case data(remaining: UInt64)
        case dataCR
        case dataLF
        case trailerStart
        case trailerName(bytes: Int)
        case trailerValue
        case trailerLF
        case finalLF
        case done
    }

    public enum Progress: Hashable, Sendable {
        /// All offered bytes belong to the body and it continues.
        case needMoreData
        /// The body ended after the first `consumed` of the offered bytes.
        case done(consumed: Int)
        case failure(HTTPParseError)
    }

    var state = State.size(digits: 0, value: 0)
    let limits: HTTPLimits
    var trailerBytes = 0
    var trailerCount = 0
    /// Payload bytes (chunk data, without sizes and CRLFs) seen so far.
    public private(set) var payloadBytes: UInt64 = 0

    public init(limits: HTTPLimits = .default) {
        self.limits = limits
    }

    public var isDone: Bool { state == .done }

    /// Feeds the next bytes of the stream.
    public mutating func consume(_ bytes: Span<UInt8>) -> Progress {
        var i = 0
        let n = bytes.count
        while i < n {
            if case .data(let remaining) = state {
                let take = Int(min(remaining, UInt64(n - i)))
                i += take
                payloadBytes += UInt64(take)
                state = remaining == UInt64(take) ? .dataCR : .data(remaining: remaining - UInt64(take))
                continue
            }
            let b = bytes[i]
            i += 1
            switch state {
            case .size(let digits, let value):
                if let digit = ByteClass.hexValue(b) {
                    guard digits < limits.maxChunkSizeDigits else { return fail(.invalidChunkSize) }
                    state = .size(digits: digits + 1, value: value << 4 | digit)
                } else if digits > 0 && b == ByteClass.cr {
                    state = .sizeLF(value: value)
                } else if digits > 0 && b == UInt8(ascii: ";") {
                    state = .extension(value: value, bytes: 1)
                } else {
                    return fail(.invalidChunkSize)
                }
            case .extension(let value, let count):
                if b == ByteClass.cr {
                    state = .sizeLF(value: value)
                } else {
                    guard ByteClass.fieldValue[Int(b)] else { return fail(.invalidChunkSize) }
                    guard count < limits.maxChunkExtensionBytes else { return fail(.chunkMetadataTooLarge) }
                    state = .extension(value: value, bytes: count + 1)
                }
            case .sizeLF(let value):
                guard b == ByteClass.lf else { return fail(.invalidChunkSize) }
                state = value == 0 ? .trailerStart : .data(remaining: value)
            case .dataCR:
                guard b == ByteClass.cr else { return fail(.invalidChunkTerminator) }
                state = .dataLF
            case .dataLF:
                guard b == ByteClass.lf else { return fail(.invalidChunkTerminator) }
                state = .size(digits: 0, value: 0)
            case .trailerStart:
                if b == ByteClass.cr {
                    state = .finalLF
                } else {
                    guard ByteClass.token[Int(b)] else { return fail(.invalidTrailer) }
                    trailerCount += 1
                    guard trailerCount <= limits.maxHeaderCount else { return fail(.chunkMetadataTooLarge) }
                    state = .trailerName(bytes: 1)
                }
            case .trailerName(let count):
                if b == ByteClass.colon {
                    state = .trailerValue
                } else {
                    guard ByteClass.token[Int(b)] else { return fail(.invalidTrailer) }
                    state = .trailerName(bytes: count + 1)
                }
            case .trailerValue:
                if b == ByteClass.cr {
                    state = .trailerLF
                } else {
                    guard ByteClass.fieldValue[Int(b)] else { return fail(.invalidTrailer) }
                }
            case .trailerLF:
                guard b == ByteClass.lf else { return fail(.invalidTrailer) }
                state = .trailerStart
            case .finalLF:
                guard b == ByteClass.lf else { return fail(.invalidChunkTerminator) }
                state = .done
                return .done(consumed: i)
            case .data, .done:
                return .done(consumed: i - 1)
            }
            if case .trailerName = state { trailerBytes += 1 } else if state == .trailerValue { trailerBytes += 1 }
            if trailerBytes > limits.maxTrailerBytes { return fail(.chunkMetadataTooLarge) }
        }
        return .needMoreData
    }

    public mutating func consume(_ bytes: [UInt8]) -> Progress { consume(bytes.span) }

    private mutating func fail(_ error: HTTPParseError) -> Progress {
        state = .done
        return .failure(error)
    }
}
