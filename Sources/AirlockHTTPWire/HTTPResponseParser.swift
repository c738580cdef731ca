/// Parses a response head from an upstream server with the same field checks as requests.
///
/// The proxy must know exactly where each response ends to keep the client connection in step, so
/// ambiguous framing (Content-Length with Transfer-Encoding, two lengths) is refused and the client
/// gets a 502 instead of a guess.
public enum HTTPResponseParser {
    /// - Parameter requestMethod: the method of the request this answers (HEAD responses have no body).
    public static func parse(_ bytes: Span<UInt8>, requestMethod: String, limits: HTTPLimits = .default)
        -> HTTPHeadParseResult<HTTPResponseHead>
    {
        let lines: [Range<Int>]
        let end: Int
        switch HTTPHeadScanner.lines(bytes, from: 0, limits: limits) {
        case .needMoreData: return .needMoreData
        case .failure(let error): return .failure(error == .malformedRequestLine ? .malformedStatusLine : error)
        case .complete(let found, let headEnd):
            lines = found
            end = headEnd
        }
        // HTTP-version SP 3DIGIT SP [reason]; a missing space before an empty reason is tolerated.
        let line = lines[0]
        guard line.count >= 12, let version = HTTPHeadScanner.version(bytes, line.lowerBound..<(line.lowerBound + 8)),
            bytes[line.lowerBound + 8] == ByteClass.sp
        else { return .failure(.malformedStatusLine) }
        var status = 0
        for i in (line.lowerBound + 9)..<(line.lowerBound + 12) {
            let b = bytes[i]
            guard b >= 0x30 && b <= 0x39 else { return .failure(.malformedStatusLine) }
            status = status * 10 + Int(b - 0x30)
        }
        guard status >= 100 else { return .failure(.malformedStatusLine) }
        var reason = ""
        if line.count > 12 {
            guard bytes[line.lowerBound + 12] == ByteClass.sp else { return .failure(.malformedStatusLine) }
            let reasonRange = (line.lowerBound + 13)..<line.upperBound
            for i in reasonRange where !ByteClass.fieldValue[Int(bytes[i])] { return .failure(.malformedStatusLine) }
            reason = bytes.string(reasonRange)
        }

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

        let framing: BodyFraming
        let bodiless = requestMethod == "HEAD" || (status >= 100 && status < 200) || status == 204 || status == 304
        if fields.transferEncodingCount > 0 {
            guard fields.contentLength == nil else { return .failure(.contentLengthWithTransferEncoding) }
            guard version == .http11 else { return .failure(.unsupportedTransferEncoding) }
            framing = bodiless ? .none : .chunked
        } else if let length = fields.contentLength {
            framing = bodiless || length == 0 ? .none : .contentLength(length)
        } else {
            framing = bodiless ? .none : .untilClose
        }
        let keepAlive = fields.keepAlive(version) && framing != .untilClose
        return .complete(
            HTTPResponseHead(
                version: version, status: status, reason: reason, headers: headers, framing: framing,
                keepAlive: keepAlive, headLength: end))
    }

    public static func parse(_ bytes: [UInt8], requestMethod: String, limits: HTTPLimits = .default)
        -> HTTPHeadParseResult<HTTPResponseHead>
    {
        parse(bytes.span, requestMethod: requestMethod, limits: limits)
    }
}
