import Foundation

/// A bounded queue of batches between the reader thread and the engine thread.
///
/// Batches (thousands of items) keep the lock off the per-message path; the bound keeps a fast reader
/// from buffering a whole capture in memory when the engine is the slower side.
final class BatchQueue<Batch: Sendable>: @unchecked Sendable {
    // @unchecked: every access to `batches` and `closed` happens under `condition`.
    private let condition = NSCondition()
    private var batches: [Batch] = []
    private var closed = false
    private let limit: Int

    init(limit: Int) {
        self.limit = max(1, limit)
    }

    /// Blocks while the queue is full.
    func put(_ batch: Batch) {
        condition.lock()
        while batches.count >= limit { condition.wait() }
        batches.append(batch)
        condition.broadcast()
        condition.unlock()
    }

    /// The next batch, or nil once the queue is closed and drained.
    func take() -> Batch? {
        condition.lock()
        defer { condition.unlock() }
        while batches.isEmpty && !closed { condition.wait() }
        guard !batches.isEmpty else { return nil }
        let batch = batches.removeFirst()
        condition.broadcast()
        return batch
    }

    func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }
}
