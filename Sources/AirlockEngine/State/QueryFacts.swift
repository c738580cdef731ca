import AirlockEvents

/// What one query adds to a domain's (or a campaign's) windows, worked out once from its features so
/// the same query can be recorded in both.
struct QueryFacts {
    var time: Timestamp
    var nameBytes: Int
    var isRare: Bool
    /// False for a name that is the domain group itself (nothing below it to carry data).
    var hasSubdomain: Bool
    var subdomainHash: UInt64
    var ends: NameEnds
    /// Lexical score at or above ``DetectionConfiguration/suspiciousNameScore``.
    var suspicious: Bool
    /// What a suspicious name counts for: in proportion to its length up to the full length.
    var carried: Double
    /// How odd the subdomain is, 0…1: the share of its characters in odd labels (``NameFeatures/oddShare``),
    /// 0 below ``DetectionConfiguration/oddNameMinLength``.
    var oddness: Double
    /// Mostly odd (``oddness`` ≥ 0.5): counts as one odd name toward the odd share of a domain.
    var oddName: Bool { oddness >= 0.5 }
    /// A long readable name, not a search-list expansion (``DetectionConfiguration/freshNameMinLength``).
    var freshCandidate: Bool
    /// Bytes of information the name carries, pronounceable names counted at the readable share.
    var information: Double
    /// Bytes of information, whole (length × entropy).
    var nameSize: Double

    init(_ features: NameFeatures, nameScore: Double, qtype: UInt16, time: Timestamp, nameBytes: Int,
         _ c: DetectionConfiguration)
    {
        self.time = time
        self.nameBytes = nameBytes
        isRare = DetectionEngine.isRareQueryType(qtype)
        hasSubdomain = features.subdomainLabels > 0
        subdomainHash = features.subdomainHash
        ends = features.ends
        suspicious = nameScore >= c.suspiciousNameScore
        // A suspicious name counts in proportion to what it can carry: a 17-byte CDN endpoint id is odd
        // but holds little; data-bearing names are long or hold non-hostname bytes.
        carried = features.nonHostnameBytes > 0
            ? 1 : min(1, Double(features.subdomainLength) / max(1, c.suspiciousNameFullLength))
        // Too short to hold anything (`w\x93w`, `e12`): never odd, whatever its bytes.
        if Double(features.subdomainLength) < c.oddNameMinLength {
            oddness = 0
        } else if features.nonHostnameBytes > 0 {
            oddness = 1
        } else {
            oddness = features.oddShare
        }
        freshCandidate = oddness < 0.5 && Double(features.subdomainLength) >= c.freshNameMinLength && !features.embedsTLD
        let unpronounceable = ramp(-features.ngramLogLikelihood, -c.ngramLow, -c.ngramHigh)
        let share = c.readableInformationShare + (1 - c.readableInformationShare) * unpronounceable
        information = features.informationBits / 8 * share
        nameSize = features.informationBits / 8
    }
}

extension DomainState {
    /// Ages the windows to the query's time and adds the query. Returns how the subdomain compares
    /// with the recent ones (nil when there is no subdomain).
    ///
    /// - Parameter seenBefore: the engine's table of recent names already holds the whole name, so
    ///   even if it is not among this state's last 16 it is not new information.
    mutating func record(_ q: QueryFacts, seenBefore: Bool, _ c: StateWindows) -> Recall? {
        let gap = q.time.seconds(since: lastTime)
        decay(to: q.time, window: c.windowSeconds, longWindow: c.longWindowSeconds, churnWindow: c.churnWindowSeconds)
        if totalQueries > 0 && gap >= 0 { recordGap(gap) }
        totalQueries += 1
        totalNameBytes += q.nameBytes
        queries += 1
        if q.isRare { rareTypeQueries += 1 }
        guard q.hasSubdomain else { return nil }
        let recall = remember(q.subdomainHash, counted: !seenBefore)
        switch recall {
        case .new where seenBefore:
            return .repeated
        case .new:
            uniqueNames += 1
            distinctNames &+= distinctNames < .max ? 1 : 0
            // Only the part between the ends this name shares with the previous new one is news.
            let novel = Double(q.ends.length - q.ends.sharedBytes(with: lastEnds)) / Double(max(1, q.ends.length))
            lastEnds = q.ends
            let information = q.information * novel
            informationBytes += information
            nameSizeBytes += q.nameSize
            longInformationBytes += information
            if q.suspicious {
                suspiciousNames += q.carried
                longSuspiciousNames += q.carried
            }
            oddNames += q.oddness
            if q.freshCandidate { freshNames += 1 }
            if q.oddName {
                distinctOddNames &+= distinctOddNames < .max ? 1 : 0
                oddNamesAsked &+= oddNamesAsked < .max ? 1 : 0
            }
        case .firstRepeat:
            // A client asking again for the same name (A, then AAAA, then HTTPS) is resolving a host it
            // means to reach — a CDN endpoint, an ad slot's frame — not sending data: a tunnel's names are
            // new every time.
            takeBack(q)
        case .repeated:
            break
        }
        return recall
    }

    /// Takes back what a name was counted for as new, once it shows itself a host lookup: it stops
    /// counting as suspicious or odd and leaves the day's information budget; its information still
    /// counts in the short window.
    mutating func takeBack(_ q: QueryFacts) {
        if q.suspicious {
            suspiciousNames = max(0, suspiciousNames - q.carried)
            longSuspiciousNames = max(0, longSuspiciousNames - q.carried)
        }
        oddNames = max(0, oddNames - q.oddness)
        if q.freshCandidate { freshNames = max(0, freshNames - 1) }
        if q.oddName && distinctOddNames > 0 { distinctOddNames -= 1 }
        longInformationBytes = max(0, longInformationBytes - q.information)
    }

    /// Takes back a recent name that turned out a host lookup (answered with a known host address), if
    /// it is still counted as new; false when it was not among the recent names or was taken back already.
    mutating func takeBackIfRecent(_ q: QueryFacts) -> Bool {
        guard markRepeated(q.subdomainHash) else { return false }
        takeBack(q)
        return true
    }

    /// Takes back a search-list expansion whose bare name has since resolved (see ``SearchSuffixes``):
    /// everything it was counted for, short window included, since it carried nothing for this zone.
    /// False when it was not among the recent names or was taken back already.
    mutating func takeBackExpansion(_ q: QueryFacts) -> Bool {
        guard let stillCounted = markExpansion(q.subdomainHash) else { return false }
        // A repeat (A, then AAAA) took back the odd, suspicious and day-long counts already.
        if stillCounted { takeBack(q) }
        informationBytes = max(0, informationBytes - q.information)
        nameSizeBytes = max(0, nameSizeBytes - q.nameSize)
        uniqueNames = max(0, uniqueNames - 1)
        if distinctNames > 0 { distinctNames -= 1 }
        if q.oddName && oddNamesAsked > 0 { oddNamesAsked -= 1 }
        return true
    }

    /// Adds a response: NXDOMAIN ratio, answer TTLs and downstream payload. Returns whether its payload
    /// was counted (a name answered again recently adds none).
    @discardableResult
    mutating func record(_ response: ResponseFacts, _ c: StateWindows) -> Bool {
        decay(
            to: response.time, window: c.windowSeconds, longWindow: c.longWindowSeconds,
            churnWindow: c.churnWindowSeconds)
        responses += 1
        if response.rcode == DNSResponseCode.nxDomain { nxdomains += 1 }
        if let ttl = response.minTTL {
            ttlAnswers += 1
            if Double(ttl) <= c.lowTTLSeconds { lowTTLAnswers += 1 }
        }
        // A tunnel's downstream data comes with new names (a cache would answer a repeat); the same
        // answer fetched again brings nothing new.
        guard firstAnswer(response.nameHash) else { return false }
        payloadBytes += Double(response.payloadBytes)
        return response.payloadBytes > 0
    }

    /// Folds another state's window counters in (a domain joining its client's campaign brings the
    /// evidence it gathered before it qualified). Both are aged to the later time first.
    mutating func absorb(_ other: DomainState, _ c: StateWindows) {
        var other = other
        let time = max(lastTime, other.lastTime)
        decay(to: time, window: c.windowSeconds, longWindow: c.longWindowSeconds, churnWindow: c.churnWindowSeconds)
        other.decay(to: time, window: c.windowSeconds, longWindow: c.longWindowSeconds, churnWindow: c.churnWindowSeconds)
        queries += other.queries
        uniqueNames += other.uniqueNames
        suspiciousNames += other.suspiciousNames
        informationBytes += other.informationBytes
        nameSizeBytes += other.nameSizeBytes
        rareTypeQueries += other.rareTypeQueries
        responses += other.responses
        nxdomains += other.nxdomains
        payloadBytes += other.payloadBytes
        lowTTLAnswers += other.lowTTLAnswers
        ttlAnswers += other.ttlAnswers
        oddNames += other.oddNames
        freshNames += other.freshNames
        longSuspiciousNames += other.longSuspiciousNames
        longInformationBytes += other.longInformationBytes
        totalQueries += other.totalQueries
        totalNameBytes += other.totalNameBytes
        distinctNames = distinctNames.addingReportingOverflow(other.distinctNames).overflow ? .max : distinctNames + other.distinctNames
        distinctOddNames = distinctOddNames.addingReportingOverflow(other.distinctOddNames).overflow
            ? .max : distinctOddNames + other.distinctOddNames
        oddNamesAsked = oddNamesAsked.addingReportingOverflow(other.oddNamesAsked).overflow
            ? .max : oddNamesAsked + other.oddNamesAsked
        firstTime = min(firstTime, other.firstTime)
    }
}

/// What a response adds to a domain's windows, taken from the event once: the closures that update
/// the tables capture these few numbers, not a copy of the whole event (its name, domain and answers).
struct ResponseFacts: Sendable {
    var time: Timestamp
    var rcode: UInt16
    var minTTL: UInt32?
    var payloadBytes: Int
    /// ``DNSName/wireHash`` of the name.
    var nameHash: UInt64

    init(_ response: borrowing DNSResponseEvent) {
        time = response.time
        rcode = response.rcode
        minTTL = response.minTTL
        payloadBytes = response.payloadBytes
        nameHash = DetectionEngine.hash(response.name)
    }
}

/// The configuration a domain's state is updated with: its windows and the low-TTL bound. Four values,
/// passed in registers: the whole configuration (528 bytes) was copied for every update made inside
/// a table's closure.
struct StateWindows: Sendable {
    let windowSeconds: Double
    let longWindowSeconds: Double
    let churnWindowSeconds: Double
    let lowTTLSeconds: Double

    init(_ configuration: DetectionConfiguration) {
        windowSeconds = configuration.windowSeconds
        longWindowSeconds = configuration.longWindowSeconds
        churnWindowSeconds = configuration.churnWindowSeconds
        lowTTLSeconds = configuration.lowTTLSeconds
    }
}
