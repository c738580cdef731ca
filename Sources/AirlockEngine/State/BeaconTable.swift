import AirlockEvents

/// Check-in timing per client and domain, for the odd names only: a C2 beacon asks its server for
/// tasks on a timer with jitter (Cobalt Strike's `<id>.<domain>` every 60 s ± 20 %), and every
/// check-in has to reach the server, so its names are new each time or its answers are not cacheable.
///
/// Each track keeps the last 32 intervals and name lengths (≈ 170 bytes); tracks are created only for
/// odd names, so ordinary browsing never fills the table. Bounded like ``DomainTable``: two
/// generations of at most half the capacity each; a track asked again survives a rotation.
struct BeaconTable {
    struct Track {
        var lastTime: Timestamp
        /// Intervals between check-ins, seconds (ring of the last 32).
        var intervals = InlineArray<32, Float>(repeating: 0)
        /// Subdomain lengths of the check-ins (ring of the last 32, aligned with the check-ins).
        var lengths = InlineArray<32, UInt8>(repeating: 0)
        /// Bit i: check-in i's name was new (not asked before): its query had to reach the server.
        var newNames: UInt32 = 0
        /// Bit i: check-in i asked for the same name again within the second (A, then AAAA): a stub
        /// resolver looking up a host to connect to, not an implant asking its server for tasks.
        var hostLookups: UInt32 = 0
        var intervalCount: UInt8 = 0
        var nextInterval: UInt8 = 0
        var checkIns: UInt8 = 0
        var nextCheckIn: UInt8 = 0
        var convicted = false

        init(time: Timestamp) { lastTime = time }
    }

    private var current: [EvidenceKey: Track] = [:]
    private var previous: [EvidenceKey: Track] = [:]
    private let generationSize: Int

    init(capacity: Int = 16_384) {
        generationSize = max(capacity / 2, 4)
    }

    var count: Int { current.count + previous.count }

    /// Adds a check-in; queries less than a second after the previous one belong to the same check-in
    /// (A and AAAA together).
    mutating func record(_ key: EvidenceKey, time: Timestamp, length: Int, new: Bool, repeated: Bool) -> Track {
        var track: Track
        if let existing = current[key] {
            track = existing
        } else if let promoted = previous.removeValue(forKey: key) {
            track = promoted
        } else {
            track = Track(time: time)
            track.lastTime = Timestamp(nanoseconds: .min)
        }
        let gap = track.lastTime.nanoseconds == .min ? -1 : time.seconds(since: track.lastTime)
        if gap < 0 || gap >= 1 {
            if gap >= 1 {
                track.intervals[Int(track.nextInterval)] = Float(gap)
                track.nextInterval = (track.nextInterval + 1) & 31
                track.intervalCount = min(32, track.intervalCount + 1)
            }
            let slot = Int(track.nextCheckIn)
            track.lengths[slot] = UInt8(min(255, length))
            if new { track.newNames |= 1 << UInt32(slot) } else { track.newNames &= ~(1 << UInt32(slot)) }
            track.nextCheckIn = (track.nextCheckIn + 1) & 31
            track.checkIns = min(32, track.checkIns + 1)
            track.hostLookups &= ~(1 << UInt32(slot))
            track.lastTime = time
        } else if repeated {
            track.hostLookups |= 1 << UInt32((track.nextCheckIn &+ 31) & 31)
        }
        if current[key] == nil && current.count >= generationSize {
            previous = current
            current = [:]
        }
        current[key] = track
        return track
    }

    /// Marks the latest check-in a host lookup: a search-list expansion whose bare name then resolved
    /// (see ``SearchSuffixes``) was the stub resolver's doing, not a check-in with the suffix's server.
    mutating func markLatestHostLookup(_ key: EvidenceKey) {
        guard var track = current[key] ?? previous[key], track.checkIns > 0 else { return }
        track.hostLookups |= 1 << UInt32((track.nextCheckIn &+ 31) & 31)
        if current[key] != nil { current[key] = track } else { previous[key] = track }
    }

    mutating func markConvicted(_ key: EvidenceKey) {
        current[key]?.convicted = true
    }
}

/// The timing of a track, judged the way RITA's beacon analysis does: a timer with jitter has a
/// small dispersion (median absolute deviation over the median) and little skew (Bowley's quartile
/// skewness), and the check-ins are all about the same size.
struct BeaconShape {
    var intervals: Int
    var median: Double
    var dispersion: Double
    var skew: Double
    var lengthDispersion: Double
    var newShare: Double
    var hostShare: Double

    init(_ t: BeaconTable.Track) {
        intervals = Int(t.intervalCount)
        var values: [Double] = []
        values.reserveCapacity(intervals)
        for i in 0..<intervals { values.append(Double(t.intervals[i])) }
        values.sort()
        let m = Self.quantile(values, 0.5)
        median = m
        let q1 = Self.quantile(values, 0.25), q3 = Self.quantile(values, 0.75)
        skew = q3 - q1 > 0 ? (q3 + q1 - 2 * m) / (q3 - q1) : 0
        var deviations = values.map { abs($0 - m) }
        deviations.sort()
        dispersion = m > 0 ? Self.quantile(deviations, 0.5) / m : 1
        let n = Int(t.checkIns)
        var lengths: [Double] = []
        for i in 0..<n { lengths.append(Double(t.lengths[i])) }
        lengths.sort()
        let lengthMedian = Self.quantile(lengths, 0.5)
        var lengthDeviations = lengths.map { abs($0 - lengthMedian) }
        lengthDeviations.sort()
        lengthDispersion = Self.quantile(lengthDeviations, 0.5)
        var fresh = 0
        for i in 0..<n where t.newNames & (1 << UInt32(i)) != 0 { fresh += 1 }
        newShare = n > 0 ? Double(fresh) / Double(n) : 0
        hostShare = n > 0 ? Double(t.hostLookups.nonzeroBitCount) / Double(n) : 0
    }

    static func quantile(_ sorted: [Double], _ q: Double) -> Double {
        guard !sorted.isEmpty else { return 0 }
        let position = q * Double(sorted.count - 1)
        let low = Int(position), high = min(sorted.count - 1, low + 1)
        let fraction = position - Double(low)
        return sorted[low] * (1 - fraction) + sorted[high] * fraction
    }
}
