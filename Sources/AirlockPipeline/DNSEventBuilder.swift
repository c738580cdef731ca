import AirlockDNSWire
import AirlockEvents
import AirlockNames

/// What a DNS message is to the engine, before the engine sees it.
public enum DNSEvent: Sendable {
    case query(DNSQueryEvent)
    /// A response paired with its query.
    case response(DNSResponseEvent)
    /// A response no pending query matches (capture started mid-stream, spoofed or late answer).
    case unmatchedResponse
    /// A message with no question to judge (e.g. an empty query, a NOTIFY, a bare header).
    case noQuestion
}

/// The first half of ``DNSPipeline``: parsed message → event. Groups the name (``GroupingCache``),
/// labels the sandbox, and pairs each response with its query (same client, server, ID and question).
///
/// Apart from the engine so that replay can run it on the reader thread, in capture order, while
/// the engine thread judges the events it made: the events and their order are the same as in one
/// ``DNSPipeline``, so the verdicts are too.
public struct DNSEventBuilder: Sendable {
    private var grouper: GroupingCache
    private let sandboxes: SandboxDirectory
    private var pending: PendingQueries

    public private(set) var queries = 0
    public private(set) var responses = 0
    public private(set) var unmatchedResponses = 0

    public init(grouper: GroupingCache = GroupingCache(), sandboxes: SandboxDirectory = .none) {
        self.grouper = grouper
        self.sandboxes = sandboxes
        self.pending = PendingQueries()
    }

    /// The event for one parsed message; a query is remembered until its response comes.
    public mutating func event(for message: DNSMessage, from origin: MessageOrigin) -> DNSEvent {
        guard let question = message.question else { return .noQuestion }
        if message.isResponse {
            guard let query = pairedQuery(message, question, origin) else { return .unmatchedResponse }
            return .response(responseEvent(message, query, origin))
        }
        return .query(queryEvent(message, question, origin))
    }

    /// What ``event(for:from:)`` makes of a message, without the event.
    public enum Kind: Sendable {
        case query, response, unmatchedResponse, noQuestion
    }

    /// ``event(for:from:)`` for a reader that collects events in arrays (replay's batches): the event
    /// is appended to `queries` or `responses` where it is made, not returned through an enum and copied.
    public mutating func add(
        _ message: DNSMessage, from origin: MessageOrigin, queries: inout [DNSQueryEvent],
        responses: inout [DNSResponseEvent]
    ) -> Kind {
        guard let question = message.question else { return .noQuestion }
        if message.isResponse {
            // Paired first, then made where it is appended: an optional event built and unwrapped
            // was copied whole (223 bytes) twice more per response.
            guard let query = pairedQuery(message, question, origin) else { return .unmatchedResponse }
            responses.append(responseEvent(message, query, origin))
            return .response
        }
        queries.append(queryEvent(message, question, origin))
        return .query
    }

    mutating func queryEvent(
        _ message: DNSMessage, _ question: DNSQuestion, _ origin: MessageOrigin
    ) -> DNSQueryEvent {
        queries += 1
        let client = origin.source, server = origin.destination
        let domain = grouper.key(for: question.name, server: server)
        let sandbox = sandboxes.sandbox(for: client.address)
        pending.insert(
            .init(client: client, server: server, id: message.id),
            .init(time: origin.time, name: question.name, qtype: question.type, domain: domain, sandbox: sandbox))
        return DNSQueryEvent(
            time: origin.time, client: client, server: server, transport: origin.transport, id: message.id,
            name: question.name, qtype: question.type, domain: domain, sandbox: sandbox,
            recursionDesired: message.flags.rd)
    }

    /// The query a response answers (taken out of the pending ones), nil when none matches.
    mutating func pairedQuery(
        _ message: DNSMessage, _ question: DNSQuestion, _ origin: MessageOrigin
    ) -> PendingQueries.Entry? {
        responses += 1
        guard
            let query = pending.take(
                .init(client: origin.destination, server: origin.source, id: message.id), name: question.name,
                qtype: question.type, at: origin.time)
        else {
            unmatchedResponses += 1
            return nil
        }
        return query
    }

    /// A response's event, with its query's name, type, group and sandbox.
    func responseEvent(
        _ message: DNSMessage, _ query: PendingQueries.Entry, _ origin: MessageOrigin
    ) -> DNSResponseEvent {
        DNSResponseEvent(
            time: origin.time, client: origin.destination, server: origin.source, transport: origin.transport,
            id: message.id, name: query.name, qtype: query.qtype, domain: query.domain, sandbox: query.sandbox,
            rcode: message.rcode, answerTypes: message.eventAnswerTypes, payloadBytes: message.payloadBytes,
            addresses: message.eventAnswerAddresses, minTTL: message.minAnswerTTL, truncated: message.flags.tc,
            recursionDesired: message.flags.rd)
    }
}
