/// Sums the per-domain evidence: each window counter that crosses its threshold adds its weight,
/// scaled by how far past the threshold it is (capped at twice the weight).
///
/// No single soft signal (many names, odd record types, NXDOMAINs, regular timing) reaches the
/// tunnel score alone — CDNs, mail servers and monitoring produce each of those. Data moving through
/// names (suspicious names, information volume) does, and a verdict needs at least one such data
/// signal (``carriesData(_:)``) however high the soft ones add up.
///
/// A class: the verdict rules and the engine call it on every event, and a struct holding the
/// configuration was copied (528 bytes) at each call.
final class DomainScorer: Sendable {
    let configuration: DetectionConfiguration

    init(configuration: DetectionConfiguration) {
        self.configuration = configuration
    }

    /// The score, and the evidence when `explain` is set (kept off the per-query path otherwise).
    func score(_ s: DomainState, explain: Bool) -> (score: Double, evidence: [Evidence]) {
        var s = s
        return score(&s, explain: explain)
    }

    /// ``score(_:explain:)`` on a state read where it is (`inout` only for that: a state passed on by
    /// value from an `inout` binding was copied whole, 316 bytes, for every query and response).
    func score(_ s: inout DomainState, explain: Bool) -> (score: Double, evidence: [Evidence]) {
        // The configuration read in place: a local copy of it was a 528-byte copy per call.
        var total = 0.0
        var evidence: [Evidence] = []
        // Room for every counter at once: a convicted domain explains its score on each further query,
        // and growing the list one entry at a time reallocated it up to four times a query.
        if explain { evidence.reserveCapacity(16) }
        func add(_ feature: String, _ value: Double, _ threshold: Double, _ weight: Double, lowerIsWorse: Bool = false) {
            guard weight > 0, threshold > 0 else { return }
            let crossed = lowerIsWorse ? value <= threshold : value >= threshold
            guard crossed else { return }
            let ratio = lowerIsWorse ? 1 : min(value / threshold, 2)
            let contribution = weight * ratio
            total += contribution
            if explain {
                evidence.append(Evidence(feature: feature, value: value, threshold: threshold, contribution: contribution))
            }
        }
        // Counters decay continuously, so a burst of exactly N events reads slightly under N.
        let slack = 0.95
        // A domain many clients ask for is a shared service handing out identifiers (an ad slot's frame,
        // a function URL): its odd names are addresses, so only the volume of information and the
        // downstream judge it (a tunnel used from five sandboxes still moves its data through names).
        let identifiersCount = !s.popular
        if identifiersCount {
            add("suspicious_names", s.suspiciousNames, configuration.suspiciousNamesThreshold * slack, configuration.suspiciousNamesWeight)
        }
        add("name_information_bytes", s.informationBytes, configuration.nameInformationThreshold, configuration.nameInformationWeight)
        // The long window only adds what the short one doesn't already see (no double counting of a burst).
        // A domain many clients ask for is a shared service: a day of its identifiers (an ad network's
        // frame per slot) adds up in every busy client, so only the short window judges it.
        if s.suspiciousNames < configuration.suspiciousNamesThreshold * slack && !s.popular {
            add("suspicious_names_long", s.longSuspiciousNames, configuration.longSuspiciousNamesThreshold * slack, configuration.longSuspiciousNamesWeight)
        }
        if s.informationBytes < configuration.nameInformationThreshold && !s.popular {
            add("name_information_bytes_long", s.longInformationBytes, configuration.longInformationThreshold, configuration.longInformationWeight)
        }
        add("unique_names", s.uniqueNames, configuration.uniqueNamesThreshold * slack, configuration.uniqueNamesWeight)
        if s.uniqueNames >= 1 {
            // Per name, whole: how much each name can carry (a shared prefix does not make names smaller).
            add("mean_information_bytes", s.nameSizeBytes / s.uniqueNames, configuration.meanInformationThreshold, configuration.meanInformationWeight)
        }
        if s.queries >= configuration.minUniqueNames * slack {
            add("rare_type_share", s.rareTypeQueries / s.queries, configuration.rareTypeShareThreshold, configuration.rareTypeShareWeight)
        }
        if s.responses >= configuration.minUniqueNames * slack {
            add("nxdomain_ratio", s.nxdomains / s.responses, configuration.nxdomainRatioThreshold, configuration.nxdomainRatioWeight)
        }
        add("response_payload_bytes", s.payloadBytes, configuration.responsePayloadThreshold, configuration.responsePayloadWeight)
        if identifiersCount {
            add("odd_names", s.oddNames, configuration.oddNamesThreshold * slack, configuration.oddNamesWeight)
            add("fresh_long_names", s.freshNames, configuration.freshNamesThreshold * slack, configuration.freshNamesWeight)
        }
        if s.ttlAnswers >= configuration.minUniqueNames * slack {
            add("low_ttl_share", s.lowTTLAnswers / s.ttlAnswers, configuration.lowTTLShareThreshold, configuration.lowTTLShareWeight)
        }
        if isFirstContactProbe(&s) {
            add("first_contact_odd_names", Double(s.distinctNames), configuration.firstContactNames, configuration.firstContactWeight)
        }
        if Double(s.gaps + 1) >= configuration.timingMinQueries, let variation = s.gapVariation {
            add("timing_variation", variation, configuration.timingRegularityThreshold, configuration.timingRegularityWeight, lowerIsWorse: true)
        }
        if explain { evidence.sort { $0.contribution > $1.contribution } }
        return (total, evidence)
    }

    /// Whether data is moving: odd names, name information or answer payload past its threshold.
    ///
    /// Soft signals can add up without any data — a search domain appended to every lookup
    /// (`www.example.org.corp.example.com`, Kubernetes' `…svc.cluster.local`) gives one domain hundreds
    /// of distinct NXDOMAIN names — so a verdict needs one of these as well as the score.
    func carriesData(_ s: DomainState) -> Bool {
        var s = s
        // The configuration read in place: a local copy of it was a 528-byte copy per call.
        let slack = 0.95
        func crossed(_ value: Double, _ threshold: Double, _ weight: Double) -> Bool {
            weight > 0 && threshold > 0 && value >= threshold
        }
        if crossed(s.informationBytes, configuration.nameInformationThreshold, configuration.nameInformationWeight)
            || crossed(s.payloadBytes, configuration.responsePayloadThreshold, configuration.responsePayloadWeight)
        {
            return true
        }
        guard !s.popular else { return false }
        return crossed(s.suspiciousNames, configuration.suspiciousNamesThreshold * slack, configuration.suspiciousNamesWeight)
            || crossed(s.longSuspiciousNames, configuration.longSuspiciousNamesThreshold * slack, configuration.longSuspiciousNamesWeight)
            || crossed(s.longInformationBytes, configuration.longInformationThreshold, configuration.longInformationWeight)
            || crossed(s.oddNames, configuration.oddNamesThreshold * slack, configuration.oddNamesWeight)
            || crossed(s.freshNames, configuration.freshNamesThreshold * slack, configuration.freshNamesWeight)
            || isFirstContactProbe(&s)
    }

    /// A handshake: soon after the client's first query to the domain, several distinct names that are
    /// nearly all odd (as first asked: an implant using getaddrinfo asks A and AAAA like a browser),
    /// answered the way tunnels answer (uncacheable TTLs, rare record types, NXDOMAIN).
    /// iodine's version, login and codec probes and a C2 check-in look like this before any data flows;
    /// a client meeting an ordinary domain asks for readable hosts, answered with cacheable addresses.
    /// (`inout` only so that ``score(_:explain:)`` reads its state where it is.)
    func isFirstContactProbe(_ s: inout DomainState) -> Bool {
        // The configuration read in place: a local copy of it was a 528-byte copy per call.
        let slack = 0.95
        guard configuration.firstContactWeight > 0, !s.popular, s.lastTime.seconds(since: s.firstTime) <= configuration.firstContactSeconds,
            Double(s.distinctNames) >= configuration.firstContactNames, s.askedOddShare >= configuration.firstContactOddShare,
            Double(s.oddNamesAsked) >= configuration.firstContactNames * slack
        else { return false }
        let lowTTL = s.ttlAnswers >= 2 && s.lowTTLAnswers / s.ttlAnswers >= configuration.lowTTLShareThreshold
        let rare = s.queries >= 2 && s.rareTypeQueries / s.queries >= configuration.rareTypeShareThreshold
        let nx = s.responses >= 2 && s.nxdomains / s.responses >= configuration.nxdomainRatioThreshold
        return lowTTL || rare || nx
    }

    /// Whether the domain has enough distinct names for any verdict at all.
    func hasEnoughNames(_ s: DomainState) -> Bool {
        s.uniqueNames >= configuration.minUniqueNames * 0.95 || s.longSuspiciousNames >= configuration.minUniqueNames
            || s.oddNames >= configuration.minUniqueNames * 0.95
    }
}
