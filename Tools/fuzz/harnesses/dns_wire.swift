// The fast-path DNS reader and the response builder on arbitrary bytes.
//
// Input: one DNS message (the whole input). Beyond "no crash", it checks what the reader promises:
// `parse` and `records` accept and reject alike, the counts and ranges they report fit the message,
// and the responses the proxy builds for any input (FORMERR included) are themselves valid messages
// that echo the question byte for byte.
import AirlockDNSWire
import AirlockEvents

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDNSWire(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = FuzzInput(data, size).bytes
    let parsed = DNSWireReader.parse(bytes.span)
    switch (parsed, DNSWireReader.records(bytes.span)) {
    case (.success(let message), .success(let records)):
        checkMessage(message, records: records, bytes: bytes)
    case (.failure(let a), .failure(let b)):
        require(a == b, "parse and records reject differently: \(a) vs \(b)")
        require(!a.reason.isEmpty && !a.description.isEmpty, "an error without a reason")
    case (let a, let b):
        require(false, "parse and records disagree: \(a) vs \(b)")
    }
    if let header = DNSWireReader.header(bytes.span), case .success(let message) = parsed {
        require(header == message.header, "header() differs from parse()")
    }

    // The last byte picks the RCODE, so all 12 bits (BADVERS and friends included) get tried.
    let rcode = UInt16(bytes.last ?? 0) << 4 | UInt16(bytes.first ?? 0) & 0x0F
    let response = DNSResponseBuilder.response(to: bytes.span, rcode: rcode)
    checkResponse(response, to: bytes, parsed: parsed)
    return 0
}

private func checkMessage(_ message: DNSMessage, records: [DNSRecordInfo], bytes: [UInt8]) {
    require(message.byteCount + message.trailingBytes == bytes.count, "byteCount + trailingBytes != input length")
    require(message.byteCount >= DNSHeader.byteCount, "a message shorter than its header")
    require(
        records.count == message.answerCount + message.authorityCount + message.additionalCount,
        "records() lists \(records.count) records, the header counts more or fewer")
    require(
        message.answers.count == message.answerCount, "answers kept \(message.answers.count) of \(message.answerCount)")
    require((message.question == nil) == (message.questionCount == 0), "question presence vs QDCOUNT")
    require((message.questionRange == nil) == (message.questionCount == 0), "questionRange presence vs QDCOUNT")
    if let range = message.questionRange, let question = message.question {
        require(
            range.lowerBound == DNSHeader.byteCount && range.upperBound <= message.byteCount, "questionRange \(range)")
        // DNSName.wire leaves out the root byte; the first question cannot hold a compression pointer
        // (there is nothing before it to point to), so its range is the whole name, root byte included.
        require(question.name.wire.count + 1 <= DNSName.maxWireLength, "question name over 255 bytes")
        require(range.count == question.name.wire.count + 5, "questionRange length vs name")
    }
    var payload = 0
    var answerIndex = 0
    for record in records {
        require(
            record.rdataRange.upperBound <= message.byteCount
                && record.rdataRange.count == Int(record.summary.rdataLength),
            "record RDATA range \(record.rdataRange) vs RDLENGTH \(record.summary.rdataLength)")
        if record.summary.type != DNSRecordType.opt { payload += Int(record.summary.rdataLength) }
        if record.section == .answer {
            require(
                message.answers[answerIndex] == record.summary,
                "answer \(answerIndex) differs between parse and records")
            answerIndex += 1
        }
    }
    require(payload == message.payloadBytes, "payloadBytes \(message.payloadBytes), records sum to \(payload)")
    require(
        message.minAnswerTTL == message.answers.map(\.ttl).min(), "minAnswerTTL is not the smallest answer TTL")
    _ = message.rcode
}

private func checkResponse(_ response: [UInt8], to query: [UInt8], parsed: Result<DNSMessage, DNSParseError>) {
    guard case .success(let reply) = DNSWireReader.parse(response.span) else {
        return require(false, "built response does not parse: \(hex(response)) for \(hex(query))")
    }
    require(reply.isResponse, "built response without QR")
    require(reply.trailingBytes == 0, "built response with trailing bytes")
    if query.count >= 2 {
        require(reply.id == UInt16(query[0]) << 8 | UInt16(query[1]), "built response with another ID")
    }
    switch parsed {
    case .success(let message):
        require(reply.question == message.question, "response question differs from the query's")
        if let range = message.questionRange, let replyRange = reply.questionRange {
            require(Array(response[replyRange]) == Array(query[range]), "question not echoed byte for byte")
        }
        require((reply.edns == nil) == (message.edns == nil), "OPT in the response iff in the query")
    case .failure:
        require(reply.rcode == DNSResponseCode.formErr, "an unparseable query answered without FORMERR")
        require(response.count == DNSHeader.byteCount, "FORMERR longer than a header")
    }
}
