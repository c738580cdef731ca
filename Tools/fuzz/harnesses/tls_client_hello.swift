// The TLS ClientHello parser on arbitrary first bytes of a connection.
//
// Input: the bytes a client sent first (the whole input). Beyond "no crash", it checks the contract
// a proxy relies on to decide when to stop reading: `.needMoreData` asks for more than it was given
// (or the proxy would wait for bytes it already has); a complete hello is found the same from its
// own bytes and from any longer input; and every shorter prefix of it is `.needMoreData`, with a
// lower bound the hello itself meets (else the proxy would wait for bytes the client never sends).
import AirlockTLSWire

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTLSClientHello(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = FuzzInput(data, size).bytes
    let result = ClientHelloParser.parse(bytes.span)
    switch result {
    case .clientHello(let hello):
        require(
            hello.byteCount <= bytes.count && hello.byteCount >= 9,
            "hello of \(hello.byteCount) bytes in \(bytes.count)")
        require(hello.recordCount >= 1, "a hello in no record")
        require(hello.serverNames.allSatisfy { $0.hostName.utf8.count <= 65_535 }, "host name longer than its field")
        _ = hello.serverName?.description
        _ = (hello.highestVersion, hello.offersTLS13, hello.hidesServerName, hello.alpnProtocols.count)
        let own = Array(bytes[..<hello.byteCount])
        require(ClientHelloParser.parse(own.span) == result, "the hello alone parses differently: \(hex(own))")
        // Every shorter prefix is a valid prefix; a few lengths stand for all of them.
        for length in Set([1, 5, hello.byteCount / 2, hello.byteCount - 1]) where length > 0 && length < hello.byteCount
        {
            let prefix = Array(bytes[..<length])
            guard case .needMoreData(let minimum) = ClientHelloParser.parse(prefix.span) else {
                return fail(
                    "prefix of \(length) bytes is not needMoreData: \(ClientHelloParser.parse(prefix.span))", bytes)
            }
            if let minimum {
                require(
                    minimum > length && minimum <= hello.byteCount,
                    "prefix of \(length) asks for \(minimum) bytes, the hello has \(hello.byteCount): \(hex(bytes))")
            }
        }
    case .needMoreData(let minimum):
        if let minimum {
            require(minimum > bytes.count, "needMoreData(\(minimum)) with \(bytes.count) bytes given: \(hex(bytes))")
        }
    case .notTLS, .unsupported, .malformed:
        break
    }
    if case .malformed(let error) = result { _ = error.description }
    if case .unsupported(let error) = result { _ = error.description }
    return 0
}

private func fail(_ message: String, _ bytes: [UInt8]) -> CInt {
    require(false, "\(message) on \(hex(bytes))")
    return 0
}
