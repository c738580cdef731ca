import AirlockEvents

/// Where the common decision record goes. The alerting framework (`AirlockAlerts.AlertPipeline`)
/// implements it; the producers — the DNS and HTTP proxies through the logs below, replay directly —
/// feed it. As in Zeek, where analyzers raise a notice with a common record and the notice framework
/// knows nothing about DNS or HTTP, alerting here sees only ``DecisionEvent``s and counts.
public protocol DecisionSink: Sendable {
    /// A decision worth an alert or a count by kind: a verdict, a refusal, an error.
    func submit(_ decision: DecisionEvent)
    /// A routine decision: only counted.
    func submitRoutine(action: DecisionAction, time: Timestamp)
    /// One DNS query decided (the query counter).
    func countQuery()
    /// A packet that could not be read, labelled with why.
    func countMalformed(reason: String)
    /// Every HTTP proxy record, end-of-exchange ones included, for request, byte and latency metrics.
    func observeHTTP(_ record: HTTPDecisionRecord)
}

extension DecisionSink {
    public func observeHTTP(_ record: HTTPDecisionRecord) {}
}

/// The DNS proxy's ``DecisionLog`` that feeds alerting (and, optionally, another log): `airlock
/// serve --alerts FILE` puts it between the proxy and its JSON-lines log. The records become
/// ``DecisionEvent``s here, on the producer's side; the ``DecisionSink`` sees only those.
///
/// Called once per event-loop turn with the turn's records. Plain allowed queries cost two counter
/// increments; only records with a verdict or a refusal become ``DecisionEvent``s.
public final class AlertingDecisionLog: DecisionLog {
    public let sink: any DecisionSink
    private let next: DecisionLog?
    private let nextLevel: DecisionLogLevel
    private let builder: DecisionEventBuilder

    /// - Parameters:
    ///   - next: the decision log to forward to, with the records `nextLevel` wants (the proxy must
    ///     then run at log level `all`, so alerting sees every record whatever the log keeps).
    public init(
        sink: any DecisionSink, forwardingTo next: DecisionLog? = nil, nextLevel: DecisionLogLevel = .all,
        builder: DecisionEventBuilder = DecisionEventBuilder()
    ) {
        self.sink = sink
        self.next = next
        self.nextLevel = nextLevel
        self.builder = builder
    }

    public func write(_ records: [DNSDecisionRecord]) {
        if let next {
            let kept = nextLevel.kept(records)
            if !kept.isEmpty { next.write(kept) }
        }
        for r in records {
            switch r.stage {
            case .query: sink.countQuery()
            case .packet: sink.countMalformed(reason: r.detail.map { Self.reasonLabel($0) } ?? "unparseable")
            case .answer: break
            }
            if r.verdict == nil && r.basis == nil && r.action == .allow {
                sink.submitRoutine(action: .allow, time: r.time)
                continue
            }
            if let decision = builder.decision(record: r) { sink.submit(decision) }
        }
    }

    /// A metric label from a parse-failure text: its first words, lower-cased, `_`-joined.
    static func reasonLabel(_ detail: String) -> String {
        let words = detail.lowercased().split(whereSeparator: { !$0.isLetter && !$0.isNumber }).prefix(4)
        return words.isEmpty ? "unparseable" : words.joined(separator: "_")
    }
}

/// Sits between the HTTP proxy and its JSON-lines log: every decision goes to alerting as a
/// ``DecisionEvent`` (routine allows only counted), and on to the log as `nextLevel` asks.
public final class AlertingHTTPDecisionLog: HTTPDecisionLog {
    public let sink: any DecisionSink
    private let next: HTTPDecisionLog?
    private let nextLevel: DecisionLogLevel
    private let builder: DecisionEventBuilder

    public init(
        sink: any DecisionSink, forwardingTo next: HTTPDecisionLog? = nil, nextLevel: DecisionLogLevel = .all,
        builder: DecisionEventBuilder = DecisionEventBuilder()
    ) {
        self.sink = sink
        self.next = next
        self.nextLevel = nextLevel
        self.builder = builder
    }

    public func write(_ records: [HTTPDecisionRecord]) {
        if let next {
            let kept = nextLevel.kept(records)
            if !kept.isEmpty { next.write(kept) }
        }
        for r in records {
            sink.observeHTTP(r)
            guard let decision = builder.decision(http: r) else { continue }
            if decision.reason == .routine && decision.action == .allow {
                sink.submitRoutine(action: .allow, time: r.time)
            } else {
                sink.submit(decision)
            }
        }
    }
}
