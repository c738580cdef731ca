/// Parses a request head from the bytes a client sent, refusing every framing ambiguity.
///
/// Pure and bounded: it reads at most ``HTTPLimits/maxHeadBytes`` and allocates only for the head
/// it returns. Call it with everything received since the previous request ended; on
/// `.needMoreData` call again with more. Checks, in order of the head:
/// - up to 4 empty lines before the request line are skipped (RFC 9112 §2.2);
/// - `METHOD SP TARGET SP HTTP/1.x` with single spaces; the method a token;
/// - CONNECT ↔ authority-form; absolute-form only `http://` without userinfo;
/// - fields: token names directly followed by `:`, no obs-fold, no control bytes;
/// - exactly one Host for HTTP/1.1 (CONNECT may omit it), equal to an absolute-form authority;
/// - Content-Length: digits only, once; Transfer-Encoding: exactly `chunked`, once, not in 1.0,
///   never together with Content-Length.
public enum HTTPRequestParser {
    public static func parse(_ bytes: Span<UInt8>, limits: HTTPLimits = .default) -> HTTPHeadParseResult<
        HTTPRequestHead
    > {
        var start = 0
        while start + 1 < bytes.count && start < 8 && bytes[start] == ByteClass.cr && bytes[start + 1] == ByteClass.lf {
            start += 2
        }
        if start < bytes.count && bytes[start] == ByteClass.lf { return .failure(.bareLineEnding) }
        let lines: [Range<Int>]
        let end: Int
        switch HTTPHeadScanner.lines(bytes, from: start, limits: limits) {
        case .needMoreData: return .needMoreData
        case .failure(let error): return .failure(error)
        case .complete(let found, let headEnd):
            lines = found
            end = headEnd
        }

        // Request line.
        let line = lines[0]
        var firstSpace = line.lowerBound
        while firstSpace < line.upperBound && bytes[firstSpace] != ByteClass.sp { firstSpace += 1 }
        var lastSpace = line.upperBound - 1
        while lastSpace > firstSpace && bytes[lastSpace] != ByteClass.sp { lastSpace -= 1 }
        guard firstSpace < line.upperBound, lastSpace > firstSpace + 1 else { return .failure(.malformedRequestLine) }
        let methodRange = line.lowerBound..<firstSpace
        let targetRange = (firstSpace + 1)..<lastSpace
        let versionRange = (lastSpace + 1)..<line.upperBound
        guard !methodRange.isEmpty, methodRange.count <= 32 else { return .failure(.invalidMethod) }
        for i in methodRange where !ByteClass.token[Int(bytes[i])] { return .failure(.invalidMethod) }
        for i in targetRange where bytes[i] == ByteClass.sp { return .failure(.malformedRequestLine) }
        guard let version = HTTPHeadScanner.version(bytes, versionRange) else {
            // "GET / HTTP/2.0" is a version problem; "GET / FOO" a malformed line.
            let looksLikeVersion =
                versionRange.count >= 5
                && bytes.equalsIgnoringCase(
                    versionRange.lowerBound..<(versionRange.lowerBound + 5), "http/")
            return .failure(looksLikeVersion ? .unsupportedVersion : .malformedRequestLine)
        }
        let method = bytes.string(methodRange)
        let isConnect = method == "CONNECT"
        let target: RequestTarget
        switch RequestTargetParser.target(bytes, targetRange, isConnect: isConnect, limits: limits) {
        case .success(let parsed): target = parsed
        case .failure(let error): return .failure(error)
        }

        // Fields.
        var headers: [HTTPHeader] = []
        headers.reserveCapacity(lines.count - 1)
        var fields = FramingFields()
        for fieldLine in lines.dropFirst() {
            switch HTTPHeadScanner.field(bytes, fieldLine) {
            case .failure(let error): return .failure(error)
            case .success(let (name, value)):
                if let error = fields.note(bytes, name: name, value: value) { return .failure(error) }
                headers.append(HTTPHeader(bytes.string(name), bytes.string(value)))
            }
        }

        // Host.
        guard fields.hostCount <= 1, fields.hostCount == 1 || version == .http10 || isConnect else {
            return .failure(.missingOrDuplicateHost)
        }
        var hostHeader: HTTPAuthority?
        if let host = fields.host {
            switch RequestTargetParser.authority(bytes, host, defaultPort: 80) {
            case .success(let authority): hostHeader = authority
            case .failure(let error): return .failure(error == .invalidPort ? .invalidPort : .invalidHost)
            }
        }
        if case .absolute(let authority, _) = target, let hostHeader, hostHeader != authority {
            return .failure(.hostMismatch)
        }

        // Framing (RFC 9112 §6.3): a request without either has no body.
        let framing: BodyFraming
        if fields.transferEncodingCount > 0 {
            guard fields.contentLength == nil else { return .failure(.contentLengthWithTransferEncoding) }
            guard version == .http11 else { return .failure(.unsupportedTransferEncoding) }
            framing = .chunked
        } else if let length = fields.contentLength {
            framing = length == 0 ? .none : .contentLength(length)
        } else {
            framing = .none
        }

        return .complete(
            HTTPRequestHead(
                method: method, target: target, version: version, headers: headers, framing: framing,
                keepAlive: fields.keepAlive(version), hostHeader: hostHeader, headLength: end))
    }

    /// Convenience for callers holding an array.
    public static func parse(_ bytes: [UInt8], limits: HTTPLimits = .default) -> HTTPHeadParseResult<HTTPRequestHead> {
        parse(bytes.span, limits: limits)
    }
}
