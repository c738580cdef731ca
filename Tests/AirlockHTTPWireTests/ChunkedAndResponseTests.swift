import AirlockHTTPWire
import Testing

@Suite struct ChunkedBodyDecoderTests {
    func run(_ text: String, split: Int? = nil) -> (ChunkedBodyDecoder.Progress, UInt64) {
        var decoder = ChunkedBodyDecoder()
        let bytes = Array(text.utf8)
        guard let split else { return (decoder.consume(bytes), decoder.payloadBytes) }
        var offset = 0
        while offset < bytes.count {
            let end = min(offset + split, bytes.count)
            let progress = decoder.consume(Array(bytes[offset..<end]))
            switch progress {
            case .needMoreData: offset = end
            case .done(let consumed): return (.done(consumed: offset + consumed), decoder.payloadBytes)
            case .failure: return (progress, decoder.payloadBytes)
            }
        }
        return (.needMoreData, decoder.payloadBytes)
    }

    @Test func wholeBody() {
        let body = "5\r\nhello\r\n1a;name=value\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\n\r\n"
        let (progress, payload) = run(body + "GET next")
        #expect(progress == .done(consumed: body.utf8.count))
        #expect(payload == 31)
    }

    @Test func byteAtATime() {
        let body = "5\r\nhello\r\nA\r\n0123456789\r\n0\r\nX-Trailer: t\r\n\r\n"
        for split in [1, 2, 3, 7] {
            let (progress, payload) = run(body + "rest", split: split)
            #expect(progress == .done(consumed: body.utf8.count), "split \(split)")
            #expect(payload == 15)
        }
    }

    @Test(arguments: [
        ("", ChunkedBodyDecoder.Progress.needMoreData),
        ("5\r\nhel", .needMoreData),
        ("-5\r\n", .failure(.invalidChunkSize)),
        ("+5\r\n", .failure(.invalidChunkSize)),
        ("0x5\r\n", .failure(.invalidChunkSize)),
        (" 5\r\n", .failure(.invalidChunkSize)),
        ("5 \r\n", .failure(.invalidChunkSize)),
        ("\r\n", .failure(.invalidChunkSize)),
        ("5\nhello", .failure(.invalidChunkSize)),
        ("5\r\rhello", .failure(.invalidChunkSize)),
        ("g\r\n", .failure(.invalidChunkSize)),
        ("1000000000000000\r\n", .failure(.invalidChunkSize)),
        ("5\r\nhelloX\r\n", .failure(.invalidChunkTerminator)),
        ("5\r\nhello\n0\r\n", .failure(.invalidChunkTerminator)),
        ("0\r\n\n", .failure(.invalidTrailer)),
        ("0\r\n\r\r", .failure(.invalidChunkTerminator)),
        ("0\r\nBad Trailer: x\r\n\r\n", .failure(.invalidTrailer)),
        ("0\r\nX: a\u{1}\r\n\r\n", .failure(.invalidTrailer)),
        ("1;a\u{0}\r\n", .failure(.invalidChunkSize)),
    ])
    func malformed(text: String, expected: ChunkedBodyDecoder.Progress) {
        #expect(run(text).0 == expected, "\(text.debugDescription)")
    }

    @Test func extensionAndTrailerLimits() {
        var decoder = ChunkedBodyDecoder()
        let ext = "1;" + String(repeating: "a", count: 2_000) + "\r\n"
        #expect(decoder.consume(Array(ext.utf8)) == .failure(.chunkMetadataTooLarge))
        var trailers = ChunkedBodyDecoder()
        let many = "0\r\n" + String(repeating: "X-T: 0123456789012345678901234567890123456789\r\n", count: 300) + "\r\n"
        #expect(trailers.consume(Array(many.utf8)) == .failure(.chunkMetadataTooLarge))
    }

    @Test func largestSizeIsBounded() {
        var decoder = ChunkedBodyDecoder()
        #expect(decoder.consume(Array("fffffffffffffff\r\nab".utf8)) == .needMoreData)
        #expect(decoder.payloadBytes == 2)
    }
}

@Suite struct ResponseParserTests {
    func parse(_ text: String, method: String = "GET") -> HTTPHeadParseResult<HTTPResponseHead> {
        HTTPResponseParser.parse(Array(text.replacingOccurrences("\n", with: "\r\n").utf8), requestMethod: method)
    }

    func head(_ r: HTTPHeadParseResult<HTTPResponseHead>) -> HTTPResponseHead? {
        if case .complete(let h) = r { return h }
        return nil
    }

    @Test func framings() throws {
        #expect(try #require(head(parse("HTTP/1.1 200 OK\nContent-Length: 5\n\n"))).framing == .contentLength(5))
        #expect(try #require(head(parse("HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\n"))).framing == .chunked)
        let close = try #require(head(parse("HTTP/1.1 200 OK\n\n")))
        #expect(close.framing == .untilClose)
        #expect(!close.keepAlive)
        #expect(try #require(head(parse("HTTP/1.1 200 OK\nContent-Length: 5\n\n", method: "HEAD"))).framing == .none)
        #expect(try #require(head(parse("HTTP/1.1 204 No Content\n\n"))).framing == .none)
        #expect(try #require(head(parse("HTTP/1.1 304 Not Modified\nContent-Length: 9\n\n"))).framing == .none)
        let interim = try #require(head(parse("HTTP/1.1 100 Continue\n\n")))
        #expect(interim.isInterim && interim.framing == .none)
        #expect(try #require(head(parse("HTTP/1.0 200 OK\nContent-Length: 1\n\n"))).keepAlive == false)
        #expect(try #require(head(parse("HTTP/1.1 200\nContent-Length: 1\n\n"))).reason == "")
    }

    @Test func ambiguousResponsesAreRefused() {
        if case .failure(.contentLengthWithTransferEncoding) = parse(
            "HTTP/1.1 200 OK\nContent-Length: 5\nTransfer-Encoding: chunked\n\n")
        {
        } else {
            Issue.record("CL+TE accepted")
        }
        if case .failure(.duplicateContentLength) = parse("HTTP/1.1 200 OK\nContent-Length: 5\nContent-Length: 6\n\n") {
        } else {
            Issue.record("two CL accepted")
        }
        if case .failure(.malformedStatusLine) = parse("HTTP/1.1 2000 OK\n\n") {} else { Issue.record("bad status") }
        if case .failure(.malformedStatusLine) = parse("HTTP/1.1 20 OK\n\n") {} else { Issue.record("short status") }
        if case .failure(.malformedStatusLine) = parse("HTTP/1.1 099 OK\n\n") {} else { Issue.record("low status") }
        if case .failure(.malformedStatusLine) = parse("ICY 200 OK\n\n") {} else { Issue.record("not HTTP") }
    }
}

@Suite struct HeadWriterTests {
    @Test func forwardedRequestDropsHopByHopAndProxyCredentials() throws {
        let text =
            "POST http://api.example.com/v1?x=1 HTTP/1.1\r\nHost: api.example.com\r\nProxy-Authorization: Basic abc\r\n"
            + "Connection: keep-alive, X-Secret, Content-Length\r\nX-Secret: s\r\nKeep-Alive: 5\r\nTE: trailers\r\n"
            + "Upgrade: websocket\r\nContent-Length: 3\r\nAccept: */*\r\n\r\n"
        guard case .complete(let head) = HTTPRequestParser.parse(Array(text.utf8)) else {
            Issue.record("parse failed")
            return
        }
        let out = String(
            decoding: HTTPHeadWriter.forwardedRequest(head, authority: head.authority!, keepAlive: false), as: UTF8.self
        )
        #expect(out.hasPrefix("POST /v1?x=1 HTTP/1.1\r\nHost: api.example.com\r\n"))
        #expect(!out.contains("Proxy-Authorization"))
        #expect(!out.contains("X-Secret"))
        #expect(!out.contains("Keep-Alive"))
        #expect(!out.contains("Upgrade"))
        #expect(!out.contains("TE:"))
        #expect(out.contains("Content-Length: 3\r\n"))
        #expect(out.contains("Accept: */*\r\n"))
        #expect(out.hasSuffix("Connection: close\r\n\r\n"))
    }

    /// An HTTP/1.0 absolute-form request may come without `Host`; at the field-count limit, the head the
    /// proxy forwards has two fields more (`Host` and `Connection`). Found by the 10-million-execution
    /// http_head run (its input is `Tools/fuzz/regressions/http_head/`): the framing must survive.
    @Test func aRequestWithoutHostAtTheFieldLimitForwardsWithItsFraming() {
        let limit = HTTPLimits.default.maxHeaderCount
        var text = "POST http://p1/upload HTTP/1.0\r\nContent-Length: 7\r\n"
        for i in 1..<limit { text += "X-F\(i): v\r\n" }
        text += "\r\n"
        guard case .complete(let head) = HTTPRequestParser.parse(Array(text.utf8)) else {
            Issue.record("a head at the limit should parse")
            return
        }
        #expect(head.headers.count == limit)
        let forwarded = HTTPHeadWriter.forwardedRequest(head, authority: head.authority!, keepAlive: true)
        var limits = HTTPLimits.default
        limits.maxHeaderCount += 2
        guard case .complete(let again) = HTTPRequestParser.parse(forwarded, limits: limits) else {
            Issue.record("the forwarded head does not parse with two more fields allowed")
            return
        }
        #expect(again.headers.count == limit + 2)
        #expect(again.framing == head.framing)
        #expect(again.hostHeader == head.authority)
    }

    @Test func proxyResponsesCannotBeSplit() {
        let out = String(
            decoding: HTTPHeadWriter.response(
                status: 403, reason: "Forbidden", headers: [HTTPHeader("X-Airlock-Reason", "a\r\nSet-Cookie: x")],
                body: "no\n", keepAlive: true), as: UTF8.self)
        #expect(out.contains("X-Airlock-Reason: a  Set-Cookie: x\r\n"))
        #expect(out.contains("Content-Length: 3\r\n"))
        #expect(out.hasSuffix("\r\n\r\nno\n"))
    }
}
