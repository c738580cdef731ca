/// The shared part of request and response heads: splitting lines on strict CRLF, reading header
/// fields, and collecting the fields that decide framing and connection reuse.
enum HTTPHeadScanner {
    enum Lines {
        /// Line ranges (CRLF excluded) from the start line to the last field; `end` is the offset
        /// just past the blank line.
        case complete(lines: [Range<Int>], end: Int)
        case needMoreData
        case failure(HTTPParseError)
    }

    /// Splits the head starting at `start` into lines. Every line must end in CRLF: a bare LF or a
    /// CR followed by anything else is an error at once (readers that accept them disagree about
    /// where lines end, which is one way to smuggle a header).
    static func lines(_ bytes: Span<UInt8>, from start: Int, limits: HTTPLimits) -> Lines {
        var lines: [Range<Int>] = []
        var lineStart = start
        var i = start
        let limit = min(bytes.count, start + limits.maxHeadBytes)
        while i < limit {
            let b = bytes[i]
            if b == ByteClass.lf { return .failure(.bareLineEnding) }
            if b == ByteClass.cr {
                guard i + 1 < bytes.count else { return .needMoreData }
                guard bytes[i + 1] == ByteClass.lf else { return .failure(.bareLineEnding) }
                if i == lineStart {
                    return lines.isEmpty ? .failure(.malformedRequestLine) : .complete(lines: lines, end: i + 2)
                }
                lines.append(lineStart..<i)
                // The start line plus fields; one more than the limit is already too many.
                if lines.count > limits.maxHeaderCount + 1 { return .failure(.tooManyHeaders) }
                i += 2
                lineStart = i
                continue
            }
            i += 1
        }
        return bytes.count >= start + limits.maxHeadBytes ? .failure(.headTooLarge) : .needMoreData
    }

    /// Splits `name: value` with the checks of RFC 9112 §5: a token name directly followed by the
    /// colon, no folding, a value of visible bytes, spaces and tabs (trimmed at both ends).
    static func field(_ bytes: Span<UInt8>, _ line: Range<Int>) -> Result<
        (name: Range<Int>, value: Range<Int>), HTTPParseError
    > {
        let first = bytes[line.lowerBound]
        if first == ByteClass.sp || first == ByteClass.htab { return .failure(.obsoleteLineFolding) }
        var i = line.lowerBound
        while i < line.upperBound && bytes[i] != ByteClass.colon {
            let b = bytes[i]
            if b == ByteClass.sp || b == ByteClass.htab { return .failure(.invalidHeaderName) }
            if !ByteClass.token[Int(b)] { return .failure(.invalidHeaderName) }
            i += 1
        }
        guard i < line.upperBound else { return .failure(.missingColon) }
        guard i > line.lowerBound else { return .failure(.invalidHeaderName) }
        let name = line.lowerBound..<i
        var valueStart = i + 1
        var valueEnd = line.upperBound
        for j in valueStart..<valueEnd where !ByteClass.fieldValue[Int(bytes[j])] {
            return .failure(.invalidHeaderValue)
        }
        while valueStart < valueEnd && (bytes[valueStart] == ByteClass.sp || bytes[valueStart] == ByteClass.htab) {
            valueStart += 1
        }
        while valueEnd > valueStart && (bytes[valueEnd - 1] == ByteClass.sp || bytes[valueEnd - 1] == ByteClass.htab) {
            valueEnd -= 1
        }
        return .success((name, valueStart..<valueEnd))
    }

    /// `HTTP/1.1` or `HTTP/1.0` exactly (the version is case-sensitive, RFC 9112 §2.3).
    static func version(_ bytes: Span<UInt8>, _ range: Range<Int>) -> HTTPVersion? {
        guard range.count == 8 else { return nil }
        let prefix = Array("HTTP/1.".utf8)
        for k in 0..<7 where bytes[range.lowerBound + k] != prefix[k] { return nil }
        switch bytes[range.lowerBound + 7] {
        case UInt8(ascii: "1"): return .http11
        case UInt8(ascii: "0"): return .http10
        default: return nil
        }
    }
}

/// The framing and connection fields of one head, checked as they are read.
struct FramingFields {
    var contentLength: UInt64?
    var transferEncodingCount = 0
    var chunked = false
    var hostCount = 0
    var host: Range<Int>?
    var connectionClose = false
    var connectionKeepAlive = false

    /// Notes one field; fails on a bad or repeated Content-Length or a Transfer-Encoding other than
    /// exactly `chunked`.
    mutating func note(_ bytes: Span<UInt8>, name: Range<Int>, value: Range<Int>) -> HTTPParseError? {
        if bytes.equalsIgnoringCase(name, "content-length") {
            guard contentLength == nil else { return .duplicateContentLength }
            // 1*DIGIT and nothing else: no sign, no list, no spaces inside; 18 digits fit in UInt64.
            guard !value.isEmpty, value.count <= 18 else { return .invalidContentLength }
            var n: UInt64 = 0
            for i in value {
                let b = bytes[i]
                guard b >= 0x30 && b <= 0x39 else { return .invalidContentLength }
                n = n * 10 + UInt64(b - 0x30)
            }
            contentLength = n
        } else if bytes.equalsIgnoringCase(name, "transfer-encoding") {
            transferEncodingCount += 1
            guard transferEncodingCount == 1, bytes.equalsIgnoringCase(value, "chunked") else {
                return .unsupportedTransferEncoding
            }
            chunked = true
        } else if bytes.equalsIgnoringCase(name, "host") {
            hostCount += 1
            host = value
        } else if bytes.equalsIgnoringCase(name, "connection") || bytes.equalsIgnoringCase(name, "proxy-connection") {
            var start = value.lowerBound
            for i in value.lowerBound...value.upperBound where i == value.upperBound || bytes[i] == UInt8(ascii: ",") {
                var a = start
                var b = i
                while a < b && (bytes[a] == ByteClass.sp || bytes[a] == ByteClass.htab) { a += 1 }
                while b > a && (bytes[b - 1] == ByteClass.sp || bytes[b - 1] == ByteClass.htab) { b -= 1 }
                if bytes.equalsIgnoringCase(a..<b, "close") { connectionClose = true }
                if bytes.equalsIgnoringCase(a..<b, "keep-alive") { connectionKeepAlive = true }
                start = i + 1
            }
        }
        return nil
    }

    /// Whether the connection persists after this message (RFC 9112 §9.3).
    func keepAlive(_ version: HTTPVersion) -> Bool {
        if connectionClose { return false }
        return version == .http11 || connectionKeepAlive
    }
}
