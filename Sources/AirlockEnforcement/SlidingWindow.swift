/// An amount summed over a sliding window, the usual two-bucket way: the previous window's total
/// weighted by how much of it still overlaps the sliding window, plus the current window's. Two
/// numbers per window instead of a list of events, so a table of them stays small.
///
/// The DNS leak budget (bytes of name information) and the HTTP egress ledger (requests, upload
/// bytes, bits of high-entropy data) count with it.
public struct SlidingWindow: Sendable {
    /// Monotonic (or event-time) nanoseconds where the current bucket began; ``unstarted`` until the
    /// first ``total(now:length:)``.
    private var start: Int64
    /// The current bucket's sum.
    private var current = 0.0
    /// The previous bucket's sum.
    private var previous = 0.0

    static let unstarted = Int64.min

    /// A window whose first bucket starts at `start`, or at the first ``total(now:length:)``.
    public init(start: Int64? = nil) {
        self.start = start ?? Self.unstarted
    }

    /// Rolls the buckets forward to the one holding `now` (windows `length` nanoseconds long), then
    /// returns the sliding total.
    public mutating func total(now: Int64, length: Int64) -> Double {
        if start == Self.unstarted { start = now }
        let elapsed = (now - start) / length
        if elapsed == 1 {
            previous = current
            current = 0
            start += length
        } else if elapsed > 1 {
            previous = 0
            current = 0
            start += elapsed * length
        }
        let overlap = 1 - Double(now - start) / Double(length)
        return previous * max(0, overlap) + current
    }

    /// Adds to the current bucket (call after ``total(now:length:)`` rolled it to now).
    public mutating func add(_ amount: Double) {
        current += amount
    }
}
