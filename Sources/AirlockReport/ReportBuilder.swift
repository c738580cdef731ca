import AirlockEngine
import AirlockEvents
import AirlockReplay

/// Builds a ``ReportModel`` by replaying the captures twice.
///
/// The first pass is an ordinary replay (the same verdicts `airlock replay` prints) that also
/// tallies information per client and domain; the second knows which domains were flagged and the
/// capture's time span, and draws only their queries onto fixed-size timelines and keeps the
/// convicting client's names. Two passes keep memory bounded whatever the capture size: nothing
/// per query is kept, only tallies (capped) and grids.
public enum ReportBuilder {
    /// Incidents drawn with a timeline; further flagged domains are listed without one.
    public static let maxIncidents = 24

    /// `onProgress` gets the pass (1 or 2) and the reader's progress in it.
    public static func build(options: ReplayOptions, onProgress: (Int, ReplayProgress) -> Void = { _, _ in })
        -> ReportModel
    {
        var options = options
        options.recordEveryDecision = true
        options.dnsLog = false
        var overview = OverviewCollector()
        let summary = Replayer(options: options).run(
            onRecord: { overview.take($0) }, onProgress: { onProgress(1, $0) })
        var model = overview.model(files: options.files, summary: summary)
        model.policyVersion = summary.policy.first.map { "sha256:" + $0.policyVersion }
        guard !model.incidents.isEmpty else { return model }
        var timelines = TimelineCollector(incidents: model.incidents)
        _ = Replayer(options: options).run(
            onRecord: { timelines.take($0) }, onProgress: { onProgress(2, $0) })
        model.incidents = timelines.finish()
        return model
    }
}

/// Pass 1: tallies per client and domain, the first verdict (with its evidence) per domain.
struct OverviewCollector {
    struct PairKey: Hashable {
        var client: String
        var domain: String
    }

    struct Tally {
        var queries = 0
        var information = 0.0
        var clients = 0
        var maxInformation = 0.0
    }

    /// Per client and domain; beyond ``pairLimit`` pairs new ones are not tallied (counted in `dropped`).
    var pairs: [PairKey: Tally] = [:]
    var domains: [String: Tally] = [:]
    var clients: [String: Tally] = [:]
    var dropped = 0
    static let pairLimit = 300_000
    var queryTypes: [UInt16: Int] = [:]
    var start: Timestamp?
    var end: Timestamp?
    /// The first alerting verdict per domain: a tunnel verdict replaces a suspicious-name one.
    var verdicts: [String: Verdict] = [:]

    mutating func take(_ record: ReplayRecord) {
        switch record {
        case .query(_, let event, let assessment):
            start = min(start ?? event.time, event.time)
            end = max(end ?? event.time, event.time)
            queryTypes[event.qtype, default: 0] += 1
            let information = assessment.features.informationBits / 8
            let client = event.sandbox?.name ?? event.client.address.description
            let key = PairKey(client: client, domain: event.domain.value)
            if pairs[key] != nil || pairs.count < Self.pairLimit {
                if pairs[key] == nil { domains[key.domain, default: Tally()].clients += 1 }
                pairs[key, default: Tally()].queries += 1
                pairs[key]!.information += information
            } else {
                dropped += 1
            }
            domains[key.domain, default: Tally()].queries += 1
            domains[key.domain]!.information += information
            domains[key.domain]!.maxInformation = max(domains[key.domain]!.maxInformation, information)
            clients[client, default: Tally()].queries += 1
            clients[client]!.information += information
            if let verdict = assessment.verdict { note(verdict) }
        case .responseVerdict(_, _, let verdict):
            note(verdict)
        case .bypass, .policy:
            break
        }
    }

    private mutating func note(_ verdict: Verdict) {
        guard verdict.isFirst else { return }
        for domain in [verdict.domain] + verdict.members {
            if let existing = verdicts[domain.value], existing.kind == .tunnel || verdict.kind != .tunnel { continue }
            verdicts[domain.value] = verdict
        }
    }

    func model(files: [String], summary: ReplaySummary) -> ReportModel {
        var model = ReportModel(files: files, summary: summary)
        model.start = start
        model.end = end
        model.queryTypes = queryTypes
        model.clientCount = clients.count
        model.domainCount = domains.count
        let flaggedDomains = Set(summary.flagged.map(\.domain.value))
        model.busiest = domains.sorted { ($0.value.queries, $1.key) > ($1.value.queries, $0.key) }.prefix(25).map {
            DomainActivity(
                domain: $0.key, queries: $0.value.queries, informationBytes: $0.value.information,
                clients: $0.value.clients, flagged: flaggedDomains.contains($0.key))
        }
        var perClient: [String: [DomainActivity]] = [:]
        for (key, tally) in pairs {
            perClient[key.client, default: []].append(
                DomainActivity(
                    domain: key.domain, queries: tally.queries, informationBytes: tally.information,
                    clients: 1, flagged: flaggedDomains.contains(key.domain)))
        }
        model.clients = clients.sorted { ($0.value.information, $1.key) > ($1.value.information, $0.key) }.prefix(20)
            .map { name, tally in
                let top = (perClient[name] ?? []).sorted { ($0.informationBytes, $1.domain) > ($1.informationBytes, $0.domain) }
                return ClientActivity(
                    client: name, queries: tally.queries, informationBytes: tally.information,
                    domains: Array(top.prefix(10)))
            }
        model.incidents = incidents(summary, flaggedDomains)
        return model
    }

    /// One incident per flagged domain, a campaign's members folded into one; tunnels first.
    private func incidents(_ summary: ReplaySummary, _ flagged: Set<String>) -> [Incident] {
        guard let start, let end else { return [] }
        var out: [Incident] = []
        var covered: Set<String> = []
        let ordered = summary.flagged.filter { $0.verdict == .tunnel } + summary.flagged.filter { $0.verdict != .tunnel }
        // A policy's first refusal per domain: where the block would have happened.
        var firstBlock: [String: Timestamp] = [:]
        for policy in summary.policy {
            for refusal in policy.refusals where refusal.action == "block" || refusal.action == "would-block" {
                firstBlock[refusal.domain] = min(firstBlock[refusal.domain] ?? refusal.first.time, refusal.first.time)
            }
        }
        for f in ordered where !covered.contains(f.domain.value) {
            guard out.count < ReportBuilder.maxIncidents else { break }
            let members = f.campaign.isEmpty ? [f.domain.value] : f.campaign
            let domains = Array(Set(members + [f.domain.value])).sorted()
            covered.formUnion(domains)
            let verdict = verdicts[f.domain.value]
                ?? Verdict(
                    kind: f.verdict, rule: f.rule, score: f.score, threshold: 0, domain: f.domain, evidence: [],
                    isFirst: true, queries: f.queriesBeforeAlert, nameBytes: f.nameBytesBeforeAlert)
            let maxInformation = domains.compactMap { self.domains[$0]?.maxInformation }.max() ?? 1
            var incident = Incident(
                title: f.campaign.isEmpty ? f.domain.value : "campaign of \(max(f.campaignSize, domains.count)) domains",
                domains: domains, verdict: verdict, firstAlert: f.firstAlert, client: f.client,
                sandbox: f.sandbox?.name,
                timeline: Timeline(start: start, end: end, maxInformation: maxInformation))
            incident.firstBlock = domains.compactMap { firstBlock[$0] }.min()
            out.append(incident)
        }
        return out
    }
}

/// Pass 2: the incidents' queries onto their timelines, the leaks before alert and block, the names.
struct TimelineCollector {
    var incidents: [Incident]
    /// Domain → incident index.
    let index: [String: Int]
    /// The convicting client's last names before the alert, per incident (a ring, oldest first).
    var names: [[NameSample]]

    init(incidents: [Incident]) {
        self.incidents = incidents
        var index: [String: Int] = [:]
        for (i, incident) in incidents.enumerated() { for d in incident.domains where index[d] == nil { index[d] = i } }
        self.index = index
        names = Array(repeating: [], count: incidents.count)
    }

    mutating func take(_ record: ReplayRecord) {
        guard case .query(_, let event, let assessment) = record, let i = index[event.domain.value] else { return }
        let information = assessment.features.informationBits / 8
        incidents[i].timeline.add(event.time, information: information, qtype: event.qtype)
        incidents[i].totalQueries += 1
        let bytes = event.name.presentationLength
        if event.time <= incidents[i].firstAlert {
            incidents[i].beforeAlert.queries += 1
            incidents[i].beforeAlert.nameBytes += bytes
            incidents[i].beforeAlert.informationBytes += information
            if event.client.address == incidents[i].client.address {
                if names[i].count == Incident.nameLimit { names[i].removeFirst() }
                names[i].append(
                    NameSample(
                        time: event.time, name: event.name.description, qtype: event.qtype,
                        nameScore: assessment.nameScore, informationBytes: information))
            }
        }
        if let block = incidents[i].firstBlock, event.time < block {
            incidents[i].beforeBlock.queries += 1
            incidents[i].beforeBlock.nameBytes += bytes
            incidents[i].beforeBlock.informationBytes += information
        }
    }

    func finish() -> [Incident] {
        var out = incidents
        for i in out.indices { out[i].names = names[i] }
        return out
    }
}
