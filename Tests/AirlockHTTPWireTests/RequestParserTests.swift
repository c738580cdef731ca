import AirlockHTTPWire
import AirlockTestSupport
import Testing

/// Parses `text` (with `\n` turned into CRLF unless `raw`) as a request head.
func parseRequest(_ text: String, raw: Bool = false, limits: HTTPLimits = .default) -> HTTPHeadParseResult<
    HTTPRequestHead
> {
    let wire = raw ? text : text.replacingOccurrences("\n", with: "\r\n")
    return HTTPRequestParser.parse(Array(wire.utf8), limits: limits)
}

func failure(_ result: HTTPHeadParseResult<HTTPRequestHead>) -> HTTPParseError? {
    if case .failure(let error) = result { return error }
    return nil
}

func head(_ result: HTTPHeadParseResult<HTTPRequestHead>) -> HTTPRequestHead? {
    if case .complete(let head) = result { return head }
    return nil
}

extension String {
    func replacingOccurrences(_ target: String, with replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}

@Suite struct RequestParserTests {
    @Test func absoluteFormGet() throws {
        let h = try #require(
            head(
                parseRequest("GET http://Example.COM:8080/a/b?q=1 HTTP/1.1\nHost: example.com:8080\nUser-Agent: t\n\n"))
        )
        #expect(h.method == "GET")
        #expect(h.target == .absolute(HTTPAuthority(host: "example.com", port: 8080), path: "/a/b?q=1"))
        #expect(h.version == .http11)
        #expect(h.keepAlive)
        #expect(h.framing == .none)
        #expect(h.value(of: "user-agent") == "t")
        #expect(
            h.headLength
                == Array(
                    "GET http://Example.COM:8080/a/b?q=1 HTTP/1.1\r\nHost: example.com:8080\r\nUser-Agent: t\r\n\r\n"
                        .utf8
                ).count)
    }

    @Test func absoluteFormDefaultsPortAndPath() throws {
        let h = try #require(head(parseRequest("GET http://example.com HTTP/1.1\nHost: example.com\n\n")))
        #expect(h.target == .absolute(HTTPAuthority(host: "example.com", port: 80), path: "/"))
        let q = try #require(head(parseRequest("GET http://example.com?x HTTP/1.1\nHost: example.com\n\n")))
        #expect(q.pathAndQuery == "/?x")
    }

    @Test func connectAuthorityForm() throws {
        let h = try #require(head(parseRequest("CONNECT api.example.com:443 HTTP/1.1\nHost: api.example.com:443\n\n")))
        #expect(h.isConnect)
        #expect(h.target == .authority(HTTPAuthority(host: "api.example.com", port: 443)))
        let v6 = try #require(head(parseRequest("CONNECT [2001:DB8::1]:443 HTTP/1.1\n\n")))
        #expect(v6.target == .authority(HTTPAuthority(host: "2001:db8::1", port: 443, isIPv6Literal: true)))
        #expect(v6.authority?.description == "[2001:db8::1]:443")
    }

    @Test func connectNeedsPortAndAuthorityForm() {
        #expect(failure(parseRequest("CONNECT example.com HTTP/1.1\nHost: example.com\n\n")) == .invalidPort)
        #expect(failure(parseRequest("CONNECT /x HTTP/1.1\nHost: a\n\n")) == .targetFormMismatch)
        #expect(failure(parseRequest("GET example.com:443 HTTP/1.1\nHost: a\n\n")) == .targetFormMismatch)
        #expect(failure(parseRequest("CONNECT example.com:0 HTTP/1.1\n\n")) == .invalidPort)
        #expect(failure(parseRequest("CONNECT example.com:65536 HTTP/1.1\n\n")) == .invalidPort)
        #expect(failure(parseRequest("CONNECT example.com:44a HTTP/1.1\n\n")) == .invalidPort)
        #expect(failure(parseRequest("CONNECT example.com:443:1 HTTP/1.1\n\n")) == .invalidPort)
    }

    @Test func needsMoreDataUntilBlankLine() {
        #expect(failure(parseRequest("GET http://a/ HTTP/1.1\nHost: a\n")) == nil)
        if case .needMoreData = parseRequest("GET http://a/ HTTP/1.1\nHost: a\n") {
        } else {
            Issue.record("expected needMoreData")
        }
        if case .needMoreData = parseRequest("GET http://a/ HTTP/1.1\r", raw: true) {
        } else {
            Issue.record("expected needMoreData")
        }
        if case .needMoreData = parseRequest("", raw: true) {} else { Issue.record("expected needMoreData") }
    }

    @Test func bodyFraming() throws {
        let cl = try #require(head(parseRequest("POST http://a/ HTTP/1.1\nHost: a\nContent-Length: 12\n\n")))
        #expect(cl.framing == .contentLength(12))
        let zero = try #require(head(parseRequest("POST http://a/ HTTP/1.1\nHost: a\nContent-Length: 0\n\n")))
        #expect(zero.framing == .none)
        let chunked = try #require(
            head(parseRequest("POST http://a/ HTTP/1.1\nHost: a\nTransfer-Encoding: Chunked\n\n")))
        #expect(chunked.framing == .chunked)
    }

    @Test(arguments: [
        ("Content-Length: -4", HTTPParseError.invalidContentLength),
        ("Content-Length: +4", .invalidContentLength),
        ("Content-Length: 4, 4", .invalidContentLength),
        ("Content-Length: 0x10", .invalidContentLength),
        ("Content-Length:", .invalidContentLength),
        ("Content-Length: 1 2", .invalidContentLength),
        ("Content-Length: 1234567890123456789", .invalidContentLength),
        ("Content-Length: 4\nContent-Length: 4", .duplicateContentLength),
        ("Content-Length: 4\ncontent-length: 5", .duplicateContentLength),
        ("Content-Length: 4\nTransfer-Encoding: chunked", .contentLengthWithTransferEncoding),
        ("Transfer-Encoding: chunked\nContent-Length: 4", .contentLengthWithTransferEncoding),
        ("Transfer-Encoding: chunked\nTransfer-Encoding: chunked", .unsupportedTransferEncoding),
        ("Transfer-Encoding: gzip, chunked", .unsupportedTransferEncoding),
        ("Transfer-Encoding: chunked, identity", .unsupportedTransferEncoding),
        ("Transfer-Encoding: xchunked", .unsupportedTransferEncoding),
        ("Transfer-Encoding: identity", .unsupportedTransferEncoding),
        ("Transfer-Encoding : chunked", .invalidHeaderName),
        ("Content-Length : 4", .invalidHeaderName),
        (" Transfer-Encoding: chunked", .obsoleteLineFolding),
        ("X-A: 1\n  folded", .obsoleteLineFolding),
        ("X-A: 1\n\tfolded", .obsoleteLineFolding),
        ("X-A1", .missingColon),
        ("X-A 1", .invalidHeaderName),
        (": 1", .invalidHeaderName),
        ("X(A): 1", .invalidHeaderName),
        ("X-A: a\u{0}b", .invalidHeaderValue),
        ("X-A: a\u{7F}b", .invalidHeaderValue),
        ("X-A: a\u{1B}b", .invalidHeaderValue),
    ])
    func smugglingShapesAreRefused(field: String, expected: HTTPParseError) {
        let result = parseRequest("POST http://a/ HTTP/1.1\nHost: a\n\(field)\n\n")
        #expect(failure(result) == expected, "field \(field.debugDescription)")
        #expect(expected.status == 400 || expected.status == 501)
    }

    @Test func contentLengthMinusFourIs400() {
        let error = failure(parseRequest("POST http://a/ HTTP/1.1\nHost: a\nContent-Length: -4\n\n"))
        #expect(error?.status == 400)
    }

    @Test func transferEncodingInHTTP10IsRefused() {
        #expect(
            failure(parseRequest("POST http://a/ HTTP/1.0\nTransfer-Encoding: chunked\n\n"))
                == .unsupportedTransferEncoding)
    }

    @Test func lineEndingsMustBeCRLF() {
        #expect(failure(parseRequest("GET http://a/ HTTP/1.1\nHost: a\n\n", raw: true)) == .bareLineEnding)
        #expect(failure(parseRequest("GET http://a/ HTTP/1.1\r\nHost: a\n\r\n", raw: true)) == .bareLineEnding)
        #expect(failure(parseRequest("GET http://a/ HTTP/1.1\r\nHost: a\rX: b\r\n\r\n", raw: true)) == .bareLineEnding)
        #expect(failure(parseRequest("\nGET http://a/ HTTP/1.1\r\nHost: a\r\n\r\n", raw: true)) == .bareLineEnding)
    }

    @Test func leadingEmptyLinesAreSkipped() throws {
        let h = try #require(head(parseRequest("\r\n\r\nGET http://a/ HTTP/1.1\r\nHost: a\r\n\r\n", raw: true)))
        #expect(h.headLength == 4 + Array("GET http://a/ HTTP/1.1\r\nHost: a\r\n\r\n".utf8).count)
    }

    @Test func requestLineShape() {
        #expect(failure(parseRequest("GET  http://a/ HTTP/1.1\nHost: a\n\n")) == .malformedRequestLine)
        #expect(failure(parseRequest("GET http://a/ x HTTP/1.1\nHost: a\n\n")) == .malformedRequestLine)
        #expect(failure(parseRequest("GET http://a/\nHost: a\n\n")) == .malformedRequestLine)
        #expect(failure(parseRequest("G(T http://a/ HTTP/1.1\nHost: a\n\n")) == .invalidMethod)
        #expect(failure(parseRequest("GET http://a/ HTTP/2.0\nHost: a\n\n")) == .unsupportedVersion)
        #expect(failure(parseRequest("GET http://a/ http/1.1\nHost: a\n\n")) == .unsupportedVersion)
        #expect(failure(parseRequest("GET http://a/ FOO\nHost: a\n\n")) == .malformedRequestLine)
        #expect(failure(parseRequest("GET http://a/ HTTP/1.1 \nHost: a\n\n")) == .malformedRequestLine)
        if case .needMoreData = parseRequest("\n\n") {} else { Issue.record("empty lines alone are a prefix") }
    }

    @Test func targetChecks() {
        #expect(failure(parseRequest("GET https://a/ HTTP/1.1\nHost: a\n\n")) == .unsupportedScheme)
        #expect(failure(parseRequest("GET ftp://a/ HTTP/1.1\nHost: a\n\n")) == .unsupportedScheme)
        #expect(failure(parseRequest("GET http://user:pw@a/ HTTP/1.1\nHost: a\n\n")) == .userinfoInTarget)
        #expect(failure(parseRequest("GET http://a@b/ HTTP/1.1\nHost: b\n\n")) == .userinfoInTarget)
        #expect(failure(parseRequest("GET http://a/#frag HTTP/1.1\nHost: a\n\n")) == .invalidTarget)
        #expect(failure(parseRequest("GET http://a%2e.com/ HTTP/1.1\nHost: a\n\n")) == .invalidHost)
        #expect(failure(parseRequest("GET http:/// HTTP/1.1\nHost: a\n\n")) == .invalidHost)
        #expect(failure(parseRequest("GET http://[::1/ HTTP/1.1\nHost: a\n\n")) == .invalidHost)
        #expect(failure(parseRequest("GET http://[zz]/ HTTP/1.1\nHost: a\n\n")) == .invalidHost)
        #expect(failure(parseRequest("GET http://a:/ HTTP/1.1\nHost: a\n\n")) == .invalidPort)
        #expect(failure(parseRequest("GET http://a/\u{E9} HTTP/1.1\nHost: a\n\n")) == .invalidTarget)
        var small = HTTPLimits()
        small.maxTargetBytes = 16
        #expect(
            failure(parseRequest("GET http://a/0123456789abcdef HTTP/1.1\nHost: a\n\n", limits: small))
                == .targetTooLong)
        #expect(HTTPParseError.targetTooLong.status == 414)
    }

    @Test func originAndAsteriskForms() throws {
        let o = try #require(head(parseRequest("GET /x?y HTTP/1.1\nHost: example.com\n\n")))
        #expect(o.target == .origin(path: "/x?y"))
        #expect(o.authority == HTTPAuthority(host: "example.com", port: 80))
        let a = try #require(head(parseRequest("OPTIONS * HTTP/1.1\nHost: a\n\n")))
        #expect(a.target == .asterisk)
    }

    @Test func hostRules() throws {
        #expect(failure(parseRequest("GET http://a/ HTTP/1.1\n\n")) == .missingOrDuplicateHost)
        #expect(failure(parseRequest("GET http://a/ HTTP/1.1\nHost: a\nHost: a\n\n")) == .missingOrDuplicateHost)
        #expect(failure(parseRequest("GET http://a/ HTTP/1.1\nHost: b\n\n")) == .hostMismatch)
        #expect(failure(parseRequest("GET http://a/ HTTP/1.1\nHost: a:81\n\n")) == .hostMismatch)
        #expect(failure(parseRequest("GET http://a/ HTTP/1.1\nHost: a b\n\n")) == .invalidHost)
        #expect(head(parseRequest("GET http://A/ HTTP/1.1\nHost: a:80\n\n")) != nil)
        #expect(head(parseRequest("GET http://a/ HTTP/1.0\n\n")) != nil)
    }

    @Test func keepAlive() throws {
        #expect(try #require(head(parseRequest("GET http://a/ HTTP/1.1\nHost: a\n\n"))).keepAlive)
        #expect(
            !(try #require(head(parseRequest("GET http://a/ HTTP/1.1\nHost: a\nConnection: x, Close\n\n"))).keepAlive))
        #expect(!(try #require(head(parseRequest("GET http://a/ HTTP/1.0\n\n"))).keepAlive))
        #expect(try #require(head(parseRequest("GET http://a/ HTTP/1.0\nConnection: keep-alive\n\n"))).keepAlive)
        #expect(try #require(head(parseRequest("GET http://a/ HTTP/1.0\nProxy-Connection: Keep-Alive\n\n"))).keepAlive)
    }

    @Test func limits() {
        var small = HTTPLimits()
        small.maxHeadBytes = 64
        #expect(
            failure(
                parseRequest(
                    "GET http://a/ HTTP/1.1\nHost: a\nX-Long: \(String(repeating: "x", count: 80))", limits: small))
                == .headTooLarge)
        small = HTTPLimits()
        small.maxHeaderCount = 3
        let fields = (0..<4).map { "X-\($0): v\n" }.joined()
        #expect(failure(parseRequest("GET http://a/ HTTP/1.1\nHost: a\n\(fields)\n", limits: small)) == .tooManyHeaders)
        #expect(head(parseRequest("GET http://a/ HTTP/1.1\nHost: a\nX: 1\nY: 2\n\n", limits: small)) != nil)
        #expect(HTTPParseError.headTooLarge.status == 431)
    }

    @Test func pipelinedBytesAfterTheHeadAreLeft() throws {
        let text = "GET http://a/ HTTP/1.1\r\nHost: a\r\n\r\nGET http://a/2 HTTP/1.1\r\nHost: a\r\n\r\n"
        let bytes = Array(text.utf8)
        let first = try #require(head(HTTPRequestParser.parse(bytes)))
        let second = try #require(head(HTTPRequestParser.parse(Array(bytes[first.headLength...]))))
        #expect(second.pathAndQuery == "/2")
    }

    @Test func headerValuesAreTrimmedAndObsTextKept() throws {
        let h = try #require(
            head(parseRequest("GET http://a/ HTTP/1.1\nHost: a\nX-A: \t v a l \t\nX-B: caf\u{E9}\n\n")))
        #expect(h.value(of: "x-a") == "v a l")
        #expect(h.value(of: "x-b") == "caf\u{E9}")
    }

    /// Every prefix of a valid request asks for more data; it never fails or crashes.
    @Test func everyPrefixNeedsMoreData() {
        let bytes = Array("POST http://a.example:81/p HTTP/1.1\r\nHost: a.example:81\r\nContent-Length: 3\r\n\r\n".utf8)
        for n in 0..<bytes.count {
            if case .needMoreData = HTTPRequestParser.parse(Array(bytes[..<n])) { continue }
            Issue.record("prefix of \(n) bytes did not ask for more data")
        }
    }

    /// Random and mutated input never traps.
    @Test func randomInputNeverTraps() {
        var generator = SeededRandom(seed: 7)
        let base = Array("POST http://a.example:81/p HTTP/1.1\r\nHost: a.example:81\r\nContent-Length: 3\r\n\r\n".utf8)
        var outcomes = 0
        for _ in 0..<20_000 {
            var bytes = base
            for _ in 0..<Int(generator.next() % 4 + 1) {
                let i = Int(generator.next() % UInt64(bytes.count))
                bytes[i] = UInt8(truncatingIfNeeded: generator.next())
            }
            if case .failure = HTTPRequestParser.parse(bytes) { outcomes += 1 }
        }
        #expect(outcomes > 0)
    }
}
