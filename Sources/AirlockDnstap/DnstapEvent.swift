import AirlockEvents

/// A dnstap record as the DNS message it carries and where it travelled: what the pipeline needs.
public struct DnstapMessage: Sendable, Equatable {
    public var time: Timestamp
    public var source: Endpoint
    public var destination: Endpoint
    public var transport: Transport
    /// The DNS message bytes (a query, or a response).
    public var message: [UInt8]
}

extension DnstapRecord {
    /// The sandbox-side message: a client query (client → resolver) or a client response
    /// (resolver → client); stub and tool messages likewise. The resolver's own iterative traffic
    /// (resolver, forwarder, auth, update types) is left out: it repeats the clients' questions and
    /// would count each one twice. An address the writer left out is `0.0.0.0`, port 53 for the
    /// resolver's side, the same on query and response so that they still pair.
    public var clientMessage: DnstapMessage? {
        guard let type else { return nil }
        switch type {
        case .clientQuery, .stubQuery, .toolQuery, .clientResponse, .stubResponse, .toolResponse: break
        default: return nil
        }
        let client = Endpoint(address: queryAddress ?? .v4(0), port: queryPort)
        let resolver = Endpoint(address: responseAddress ?? .v4(0), port: responsePort == 0 ? 53 : responsePort)
        if type.isQuery {
            guard let queryMessage, let time = queryTime ?? responseTime else { return nil }
            return DnstapMessage(time: time, source: client, destination: resolver, transport: transport, message: queryMessage)
        }
        guard let responseMessage, let time = responseTime ?? queryTime else { return nil }
        return DnstapMessage(time: time, source: resolver, destination: client, transport: transport, message: responseMessage)
    }
}
