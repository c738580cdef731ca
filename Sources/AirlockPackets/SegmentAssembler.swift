/// Orders one direction of a TCP stream by sequence number: in-order bytes pass straight through,
/// retransmitted bytes are trimmed, early segments wait (bounded) for the missing one.
///
/// It never holds the in-order data itself: the caller consumes it from the packet's own bytes, so a
/// stream without loss or reordering is never copied here.
struct SegmentAssembler {
    private struct Held {
        var sequence: UInt32
        var bytes: [UInt8]
    }

    /// The sequence number of the next byte expected.
    private(set) var nextSequence: UInt32 = 0
    private(set) var isStarted = false
    private var held: [Held] = []
    private(set) var heldBytes = 0

    enum Placement: Equatable {
        /// Consume the payload from this index on (earlier bytes were seen already).
        case inOrder(skip: Int)
        /// Every byte was seen already.
        case duplicate
        /// Ahead of a missing segment: stored until the gap fills.
        case held
        /// Ahead of a missing segment, but the per-direction bounds are reached: the caller declares a gap.
        case overflow
        /// Ahead of a missing segment, but the shared buffer budget is spent.
        case overBudget
    }

    /// Signed distance from `b` to `a` in sequence space (RFC 1982 style, valid within 2 GB).
    @inline(__always)
    static func distance(_ a: UInt32, from b: UInt32) -> Int {
        Int(Int32(bitPattern: a &- b))
    }

    mutating func start(at sequence: UInt32) {
        nextSequence = sequence
        isStarted = true
    }

    var hasHeld: Bool { !held.isEmpty }
    var firstHeldSequence: UInt32? { held.first?.sequence }

    mutating func place(
        sequence: UInt32, payload: Span<UInt8>, maxSegments: Int, maxBytes: Int,
        statistics: inout PacketStatistics, budget: Int
    ) -> Placement {
        let ahead = Self.distance(sequence, from: nextSequence)
        if ahead <= 0 {
            let seen = -ahead
            guard seen < payload.count else { return .duplicate }
            nextSequence = sequence &+ UInt32(payload.count)
            return .inOrder(skip: seen)
        }
        // Same start already held with at least as many bytes: a retransmission of an early segment.
        if let existing = held.first(where: { $0.sequence == sequence }), existing.bytes.count >= payload.count {
            return .duplicate
        }
        guard held.count < maxSegments, heldBytes + payload.count <= maxBytes else { return .overflow }
        guard statistics.reserve(payload.count, limit: budget) else { return .overBudget }
        var bytes: [UInt8] = []
        payload.append(0..<payload.count, to: &bytes)
        heldBytes += bytes.count
        let insertAt =
            held.firstIndex { Self.distance($0.sequence, from: nextSequence) > ahead } ?? held.count
        held.insert(Held(sequence: sequence, bytes: bytes), at: insertAt)
        return .held
    }

    /// The next held segment that has become contiguous, trimmed of bytes already seen; nil when the
    /// next held segment still lies beyond a gap (or none is held).
    mutating func popContiguous(statistics: inout PacketStatistics) -> [UInt8]? {
        while let first = held.first {
            let ahead = Self.distance(first.sequence, from: nextSequence)
            guard ahead <= 0 else { return nil }
            held.removeFirst()
            heldBytes -= first.bytes.count
            statistics.release(first.bytes.count)
            let seen = -ahead
            guard seen < first.bytes.count else { continue }
            nextSequence = first.sequence &+ UInt32(first.bytes.count)
            return seen == 0 ? first.bytes : Array(first.bytes[seen...])
        }
        return nil
    }

    /// Gives up on the bytes missing before the first held segment (they will not come).
    /// Returns false when nothing is held.
    mutating func skipToFirstHeld() -> Bool {
        guard let first = held.first else { return false }
        nextSequence = first.sequence
        return true
    }

    /// Moves the expected sequence forward without data (a gap the peer's acknowledgement proved).
    mutating func skip(to sequence: UInt32) {
        if Self.distance(sequence, from: nextSequence) > 0 { nextSequence = sequence }
    }

    /// Forgets everything held.
    mutating func discardHeld(statistics: inout PacketStatistics) {
        statistics.release(heldBytes)
        held.removeAll()
        heldBytes = 0
    }
}
