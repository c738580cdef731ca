// The HTTP/1.1 wire layer of the egress proxy on arbitrary bytes: request heads from the sandbox,
// response heads from origins, chunked bodies, and the heads the proxy writes from them.
//
// Input: a mode byte (taken modulo 3), then the bytes. Mode 0 parses a request head, mode 1 a
// response head (the next byte picks the request method: GET, HEAD, CONNECT, POST), mode 2 a chunked
// body (the next byte picks where it is split in two). Beyond "no crash", what keeps the proxy and
// the origin in step (request smuggling is a disagreement about framing):
// - a head found in the bytes is found the same in its own bytes, and every shorter prefix of it
//   asks for more data (a valid request must not be refused for arriving in pieces);
// - the head the proxy writes (forwarded request, relayed response) parses back to the same method,
//   target, status and body framing;
// - a chunked body ends at the same byte, with the same payload count, however it is split.
import AirlockHTTPWire

private let methods = ["GET", "HEAD", "CONNECT", "POST"]

/// For reading back the heads the proxy writes: it adds a `Connection` field, and a `Host` field when
/// the request had none (an HTTP/1.0 absolute-form request), so two past the count limit is possible;
/// and it writes header values as UTF-8, so each byte that is not becomes U+FFFD (3 bytes). What must
/// survive is the framing, not the limits, which only guard the proxy's own buffers.
private let writtenLimits: HTTPLimits = {
    var limits = HTTPLimits.default
    limits.maxHeaderCount += 2
    limits.maxHeadBytes *= 3
    return limits
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHTTPHead(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    switch input.byte() % 3 {
    case 0: checkRequest(input.rest())
    case 1:
        let method = methods[Int(input.byte()) % methods.count]
        checkResponse(input.rest(), method: method)
    default:
        let split = Int(input.byte())
        checkChunked(input.rest(), split: split)
    }
    return 0
}

private func checkRequest(_ bytes: [UInt8]) {
    let result = HTTPRequestParser.parse(bytes.span)
    guard case .complete(let head) = result else {
        if case .failure(let error) = result { _ = error.description }
        return
    }
    require(head.headLength > 0 && head.headLength <= bytes.count, "head length \(head.headLength) of \(bytes.count)")
    require(HTTPRequestParser.parse(Array(bytes[..<head.headLength]).span) == result, "the head alone parses otherwise")
    checkPrefixes(head.headLength, bytes) { HTTPRequestParser.parse($0.span) }
    _ = (head.pathAndQuery, head.authority?.description, head.value(of: "host"))
    guard !head.isConnect, let authority = head.authority else { return }
    let forwarded = HTTPHeadWriter.forwardedRequest(head, authority: authority, keepAlive: true)
    guard case .complete(let again) = HTTPRequestParser.parse(forwarded.span, limits: writtenLimits) else {
        let result = HTTPRequestParser.parse(forwarded.span, limits: writtenLimits)
        return require(false, "the forwarded head does not parse (\(result)): \(hex(forwarded))")
    }
    require(again.headLength == forwarded.count, "the forwarded head has bytes after it")
    require(again.method == head.method, "forwarded method \(again.method) for \(head.method)")
    require(again.pathAndQuery == head.pathAndQuery, "forwarded target \(again.pathAndQuery) for \(head.pathAndQuery)")
    require(again.framing == head.framing, "forwarded framing \(again.framing) for \(head.framing): \(hex(bytes))")
    require(again.hostHeader == authority, "forwarded Host \(String(describing: again.hostHeader)) for \(authority)")
    require(again.value(of: "proxy-authorization") == nil, "the sandbox's proxy credentials were forwarded")
}

private func checkResponse(_ bytes: [UInt8], method: String) {
    let result = HTTPResponseParser.parse(bytes.span, requestMethod: method)
    guard case .complete(let head) = result else { return }
    require(head.headLength > 0 && head.headLength <= bytes.count, "head length \(head.headLength) of \(bytes.count)")
    require(
        HTTPResponseParser.parse(Array(bytes[..<head.headLength]).span, requestMethod: method) == result,
        "the head alone parses otherwise")
    checkPrefixes(head.headLength, bytes) { HTTPResponseParser.parse($0.span, requestMethod: method) }
    let relayed = HTTPHeadWriter.relayedResponse(head, keepAlive: true)
    guard
        case .complete(let again) = HTTPResponseParser.parse(relayed.span, requestMethod: method, limits: writtenLimits)
    else {
        let again = HTTPResponseParser.parse(relayed.span, requestMethod: method, limits: writtenLimits)
        return require(false, "the relayed head does not parse (\(again)): \(hex(relayed)) from \(hex(bytes))")
    }
    require(again.headLength == relayed.count, "the relayed head has bytes after it")
    require(again.status == head.status, "relayed status \(again.status) for \(head.status)")
    require(again.framing == head.framing, "relayed framing \(again.framing) for \(head.framing): \(hex(bytes))")
}

/// Every prefix shorter than the head (a few lengths stand for all) must ask for more data.
private func checkPrefixes<Head>(_ headLength: Int, _ bytes: [UInt8], _ parse: ([UInt8]) -> HTTPHeadParseResult<Head>) {
    for length in Set([1, headLength / 2, headLength - 2, headLength - 1]) where length > 0 && length < headLength {
        let prefix = Array(bytes[..<length])
        guard case .needMoreData = parse(prefix) else {
            return require(
                false, "a \(length)-byte prefix of a \(headLength)-byte head is not needMoreData: \(hex(bytes))")
        }
    }
}

private func checkChunked(_ bytes: [UInt8], split: Int) {
    var whole = ChunkedBodyDecoder()
    let once = whole.consume(bytes.span)
    var pieces = ChunkedBodyDecoder()
    let cut = bytes.isEmpty ? 0 : split % (bytes.count + 1)
    let first = pieces.consume(Array(bytes[..<cut]).span)
    let twice: ChunkedBodyDecoder.Progress
    switch first {
    case .done(let consumed): twice = .done(consumed: consumed)
    case .failure: twice = first
    case .needMoreData:
        switch pieces.consume(Array(bytes[cut...]).span) {
        case .done(let consumed): twice = .done(consumed: cut + consumed)
        case let other: twice = other
        }
    }
    require(once == twice, "split at \(cut): \(once) whole, \(twice) in two pieces: \(hex(bytes))")
    if case .done = once {
        require(whole.isDone && pieces.isDone, "done without isDone")
        require(whole.payloadBytes == pieces.payloadBytes, "payload \(whole.payloadBytes) vs \(pieces.payloadBytes)")
    }
    if case .needMoreData = once {
        require(whole.payloadBytes == pieces.payloadBytes, "payload \(whole.payloadBytes) vs \(pieces.payloadBytes)")
    }
}
