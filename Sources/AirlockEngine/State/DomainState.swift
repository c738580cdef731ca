import AirlockEvents

/// Everything the engine remembers about one domain group (or one campaign): decaying window
/// counters, a short memory of recent names, and lifetime totals for reporting. 320 bytes, fixed size
/// (small fields last, so they pack: a million of these under a flood is what the memory bound is made of).
///
/// Counters decay exponentially with the configured window as time constant: a sliding window
/// that needs no per-event storage, so a domain's state never grows with its traffic.
struct DomainState {
    var lastTime: Timestamp
    /// The first query: how long this client has known the domain (first-contact signal).
    var firstTime: Timestamp

    // Decaying window counters.
    var queries = 0.0
    var uniqueNames = 0.0
    var suspiciousNames = 0.0
    /// Information in new names, counting only the part a name does not share with the previous one.
    var informationBytes = 0.0
    /// Information in new names, whole (length × entropy): what a typical name can carry.
    var nameSizeBytes = 0.0
    var rareTypeQueries = 0.0
    var responses = 0.0
    var nxdomains = 0.0
    var payloadBytes = 0.0
    /// Answers whose smallest TTL defeats caching (``DetectionConfiguration/lowTTLSeconds``), and
    /// answers that had a TTL at all.
    var lowTTLAnswers = 0.0
    var ttlAnswers = 0.0
    // Churn-window counter (an hour): distinct odd names, weighted by how odd.
    var oddNames = 0.0
    /// Churn-window counter: long readable names asked once (word-list encodings).
    var freshNames = 0.0
    // Long-window counters (same events, a much longer time constant).
    var longSuspiciousNames = 0.0
    var longInformationBytes = 0.0

    // Inter-query gap statistics (exponentially weighted mean and variance).
    var gapMean: Float = 0
    var gapVariance: Float = 0

    /// 32-bit hashes of the 16 most recent distinct subdomains: a repeat is not new information.
    /// (A tunnel repeats almost nothing; a client repeats its few names constantly.)
    var recentNames = InlineArray<16, UInt32>(repeating: 0)
    /// 32-bit hashes of the last 8 names whose answers were counted: an answer asked for again (a
    /// client without a cache polling SPF records) repeats what was already downloaded.
    var answeredNames = InlineArray<8, UInt32>(repeating: 0)

    // Lifetime totals.
    var totalQueries = 0
    var totalNameBytes = 0
    var peakScore = 0.0
    /// Distinct names and distinct mostly-odd names since first contact (less those later resolved as
    /// hosts): the odd share.
    /// (Saturating 16-bit counts: a ratio is all they are for.)
    var distinctNames: UInt16 = 0
    var distinctOddNames: UInt16 = 0
    /// Distinct mostly-odd names as first asked, never taken back: what a client's first contact
    /// looked like, whether or not it later resolved them as hosts (an implant calling getaddrinfo asks
    /// A and AAAA too).
    var oddNamesAsked: UInt16 = 0

    /// Ends of the last new subdomain: what the next new one is compared with (see ``NameEnds``).
    var lastEnds = NameEnds()
    var recentNext: UInt8 = 0
    var answeredNext: UInt8 = 0
    /// Set when the tunnel verdict was first reached.
    var convicted = false
    var suspiciousNameReported = false
    /// Counted into its client's campaign (see ``CampaignTable``).
    var campaignMember = false
    /// Asked for by many clients (``DetectionConfiguration/popularDomainClients``): a shared service,
    /// judged on the short window only.
    var popular = false
    /// Inter-query gaps folded into the mean and variance.
    var gaps: Int32 = 0

    init(time: Timestamp) {
        lastTime = time
        firstTime = time
    }

    /// Share of this client's distinct names for the domain that were odd.
    var oddShare: Double { distinctNames > 0 ? Double(distinctOddNames) / Double(distinctNames) : 0 }
    /// Share of the distinct names that were odd when first asked.
    var askedOddShare: Double { distinctNames > 0 ? Double(oddNamesAsked) / Double(distinctNames) : 0 }

    /// Ages every window counter to `time`. Out-of-order times (captures merged from several
    /// interfaces) age nothing rather than inflate.
    mutating func decay(to time: Timestamp, window: Double, longWindow: Double, churnWindow: Double) {
        let dt = time.seconds(since: lastTime)
        guard dt > 0 else { return }
        // A factor is worked out only when a counter it ages is not zero: zero times a factor in [0, 1]
        // is that zero, bit for bit, and an ordinary domain's long-window and churn counters are zero, so
        // two of the three series (~90 instructions each) are skipped for most queries.
        if longSuspiciousNames != 0 || longInformationBytes != 0 {
            let longFactor = Math.exp(-dt / longWindow)
            longSuspiciousNames *= longFactor
            longInformationBytes *= longFactor
        }
        if oddNames != 0 || freshNames != 0 {
            let churnFactor = Math.exp(-dt / churnWindow)
            oddNames *= churnFactor
            freshNames *= churnFactor
        }
        let factor = Math.exp(-dt / window)
        queries *= factor
        uniqueNames *= factor
        suspiciousNames *= factor
        informationBytes *= factor
        nameSizeBytes *= factor
        rareTypeQueries *= factor
        responses *= factor
        nxdomains *= factor
        payloadBytes *= factor
        lowTTLAnswers *= factor
        ttlAnswers *= factor
        lastTime = time
    }

    /// What a query's subdomain was, compared with the recent ones.
    enum Recall {
        /// Not among the recent names.
        case new
        /// Seen recently.
        case repeated
        /// Seen recently, and this is its first repeat: the client is resolving a host (A, then AAAA),
        /// so what the name was counted for as new is taken back.
        case firstRepeat
    }

    /// Records a subdomain hash (bit 0 always set so a slot is never mistaken for empty; bit 1 marks
    /// names counted as new and not yet repeated, cleared on their first repeat).
    mutating func remember(_ fullHash: UInt64, counted: Bool) -> Recall {
        let hash = Self.recentHash(fullHash)
        for i in 0..<16 where recentNames[i] & ~Self.flags == hash {
            if recentNames[i] & Self.countedNow != 0 {
                recentNames[i] &= ~Self.countedNow
                return .firstRepeat
            }
            return .repeated
        }
        recentNames[Int(recentNext)] = counted ? hash | Self.countedNow | Self.countedOnce : hash
        recentNext = (recentNext + 1) & 15
        return .new
    }

    /// A recent name's entry: 28 bits of its hash, bit 0 set (an empty slot is 0) and three flags.
    /// `countedNow`: still counted as new (cleared when asked again or taken back); `countedOnce`: was
    /// counted as new when first asked (never cleared); `expansion`: taken back as a search-list expansion.
    private static let countedNow: UInt32 = 2, countedOnce: UInt32 = 4, expansion: UInt32 = 8
    private static let flags: UInt32 = countedNow | countedOnce | expansion

    private static func recentHash(_ fullHash: UInt64) -> UInt32 {
        (UInt32(truncatingIfNeeded: fullHash ^ (fullHash >> 32)) & ~15) | 1
    }

    /// Clears the counted-as-new mark of a recent name; true when it was set.
    mutating func markRepeated(_ fullHash: UInt64) -> Bool {
        let hash = Self.recentHash(fullHash)
        for i in 0..<16 where recentNames[i] & ~Self.flags == hash && recentNames[i] & Self.countedNow != 0 {
            recentNames[i] &= ~Self.countedNow
            return true
        }
        return false
    }

    /// Marks a recent name taken back as a search-list expansion. Returns nil when it is not among the
    /// recent names, was never counted as new, or was taken back already; else whether it was still
    /// counted as new (not yet taken back as a repeat).
    mutating func markExpansion(_ fullHash: UInt64) -> Bool? {
        let hash = Self.recentHash(fullHash)
        for i in 0..<16 where recentNames[i] & ~Self.flags == hash {
            let entry = recentNames[i]
            guard entry & Self.countedOnce != 0, entry & Self.expansion == 0 else { return nil }
            recentNames[i] = (entry | Self.expansion) & ~Self.countedNow
            return entry & Self.countedNow != 0
        }
        return nil
    }

    /// Whether ``markExpansion(_:)`` would take `fullHash`'s name back (without marking it).
    /// (`mutating` though it changes nothing: called on a table's entry in place, a non-mutating call
    /// copied the whole state first.)
    mutating func takesBackExpansion(_ fullHash: UInt64) -> Bool {
        let hash = Self.recentHash(fullHash)
        for i in 0..<16 where recentNames[i] & ~Self.flags == hash {
            let entry = recentNames[i]
            return entry & Self.countedOnce != 0 && entry & Self.expansion == 0
        }
        return false
    }

    /// Records that `fullHash`'s name was answered; false when it was among the last 8 answered.
    mutating func firstAnswer(_ fullHash: UInt64) -> Bool {
        let hash = UInt32(truncatingIfNeeded: fullHash ^ (fullHash >> 32)) | 1
        for i in 0..<8 where answeredNames[i] == hash { return false }
        answeredNames[Int(answeredNext)] = hash
        answeredNext = (answeredNext + 1) & 7
        return true
    }

    /// Folds one inter-query gap into the weighted mean and variance (weight 1/8).
    mutating func recordGap(_ gap: Double) {
        if gaps < Int32.max { gaps += 1 }  // saturates: a busy domain of a long-running proxy
        if gaps == 1 {
            gapMean = Float(gap)
            gapVariance = 0
            return
        }
        let alpha = 0.125
        let delta = Float(gap) - gapMean
        gapMean += Float(alpha) * delta
        gapVariance = (1 - Float(alpha)) * (gapVariance + Float(alpha) * delta * delta)
    }

    /// Coefficient of variation of the gaps (standard deviation / mean); nil before two gaps.
    var gapVariation: Double? {
        guard gaps >= 2, gapMean > 0 else { return nil }
        return Double(gapVariance.squareRoot() / gapMean)
    }

    /// Whether this state is worth keeping through an eviction round: it holds evidence.
    var holdsEvidence: Bool { convicted || suspiciousNames >= 1 || oddNames >= 2 || peakScore >= 0.3 }
}
