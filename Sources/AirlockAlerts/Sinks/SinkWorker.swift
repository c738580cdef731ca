import Foundation
import AirlockSystem

/// Exponential backoff with jitter for retrying a dead receiver: `initial × 2^n`, capped, ±20 %.
struct Backoff: Sendable {
    var initial: Double
    var maximum: Double
    private(set) var attempt = 0

    init(initial: Double, maximum: Double) {
        self.initial = initial
        self.maximum = maximum
    }

    mutating func next() -> Double {
        let base = min(maximum, initial * pow(2, Double(min(attempt, 30))))
        attempt += 1
        return base * Double.random(in: 0.8...1.2)
    }

    mutating func reset() { attempt = 0 }
}

/// How a sink hands records to its receiver.
struct SinkPolicy: Sendable {
    /// Records per delivery.
    var batchSize = 100
    /// How long to wait for a batch to fill before sending a partial one.
    var lingerSeconds = 0.05
    /// In-memory queue bound: beyond it, new alerts are dropped (counted), never waited for.
    var queueCapacity = 10_000
    var backoffInitial = 0.25
    var backoffMaximum = 30.0
    /// Attempts per batch for sinks without a spool before the batch is dropped.
    var attemptsWithoutSpool = 3
}

/// One sink's delivery machinery: a bounded in-memory queue the caller never waits on, and threads
/// that move records to the receiver.
///
/// Without a spool: one thread takes batches from the queue and sends them, retrying a few times.
/// With a spool: a writer thread appends queued records to the spool (durable before they count
/// as accepted), and a delivery thread sends spooled records in order, acknowledging each delivered
/// batch and retrying failures with exponential backoff for as long as it takes.
final class SinkWorker: @unchecked Sendable {
    let name: String
    let format: AlertFormat
    private let render: @Sendable (Alert) -> [UInt8]
    private let transport: AlertTransport
    let spool: Spool?

    /// Reopens the sink's file after log rotation (file sinks only; safe from any thread).
    func reopen() throws(SystemError) { try transport.reopen() }
    private let metrics: Metrics
    private let policy: SinkPolicy

    private let state = NSCondition()
    private var queue: [Alert] = []
    private var queueHead = 0
    private var stopping = false
    private var abandoned = false
    private var deadline = Date.distantFuture
    private var threadsRunning = 0
    /// Set while the writer holds records taken from the queue but not yet spooled.
    private var writing = false
    private var lastErrorText: String?
    /// The last delivery or spool error, for status output.
    var lastError: String? { state.withLock { lastErrorText } }

    init(
        name: String, format: AlertFormat, render: @escaping @Sendable (Alert) -> [UInt8], transport: AlertTransport,
        spool: Spool?, metrics: Metrics, policy: SinkPolicy
    ) {
        self.name = name
        self.format = format
        self.render = render
        self.transport = transport
        self.spool = spool
        self.metrics = metrics
        self.policy = policy
        publishSpoolGauges()
    }

    func start() {
        if spool != nil {
            launch("airlock-\(name)-spool") { $0.spoolWriterLoop() }
            launch("airlock-\(name)-delivery") { $0.spooledDeliveryLoop() }
        } else {
            launch("airlock-\(name)") { $0.directDeliveryLoop() }
        }
    }

    private func launch(_ threadName: String, _ body: @escaping @Sendable (SinkWorker) -> Void) {
        state.lock()
        threadsRunning += 1
        state.unlock()
        let thread = Thread { [self] in
            body(self)
            state.lock()
            threadsRunning -= 1
            state.broadcast()
            state.unlock()
        }
        thread.name = threadName
        thread.start()
    }

    /// Hands an alert to the sink; never waits (formatting happens on the sink's thread). False (and
    /// counted) when the queue is full.
    @discardableResult
    func enqueue(_ alert: Alert) -> Bool {
        state.lock()
        guard !stopping, queue.count - queueHead < policy.queueCapacity else {
            state.unlock()
            metrics.sinkDropped.increment("\(name)/\(stopping ? "stopped" : "queue-full")")
            return false
        }
        queue.append(alert)
        state.signal()
        state.unlock()
        metrics.sinkEnqueued.increment(name)
        return true
    }

    /// Records accepted but not yet spooled (spooled sinks) or not yet sent (others).
    var queued: Int { state.withLock { queue.count - queueHead + (writing ? 1 : 0) } }

    /// Stops taking alerts, spools what is queued, delivers until `drainSeconds` have passed or
    /// nothing is left, then stops the threads. Spooled records not delivered stay for next start.
    func shutdown(drainSeconds: Double) {
        state.lock()
        stopping = true
        deadline = Date().addingTimeInterval(drainSeconds)
        state.broadcast()
        while threadsRunning > 0 { _ = state.wait(until: Date().addingTimeInterval(0.1)) }
        state.unlock()
        transport.close()
    }

    /// Stops the threads at once, as a crash would: whatever is in the in-memory queue is lost and
    /// the spool is left as it is. For restart tests.
    func abandon() {
        state.lock()
        stopping = true
        abandoned = true
        state.broadcast()
        while threadsRunning > 0 { _ = state.wait(until: Date().addingTimeInterval(0.1)) }
        state.unlock()
        transport.close()
    }

    // MARK: Loops

    /// Takes up to `max` queued records, waiting up to `timeout` for the first. Nil when stopping
    /// and nothing is left (or abandoned).
    private func take(max: Int, timeout: Double) -> [SpoolRecord]? {
        take(max: max, timeout: timeout, taking: ()).map { $0.map { SpoolRecord(id: $0.id, payload: render($0)) } }
    }

    private func take(max: Int, timeout: Double, taking _: Void) -> [Alert]? {
        state.lock()
        defer { state.unlock() }
        let until = Date().addingTimeInterval(timeout)
        while queue.count == queueHead && !stopping && Date() < until { _ = state.wait(until: until) }
        if abandoned { return nil }
        if queue.count == queueHead { return stopping ? nil : [] }
        if queue.count - queueHead < max && !stopping && policy.lingerSeconds > 0 {
            _ = state.wait(until: Date().addingTimeInterval(policy.lingerSeconds))
        }
        let end = min(queue.count, queueHead + max)
        let batch = Array(queue[queueHead..<end])
        queueHead = end
        if queueHead > 4096 && queueHead * 2 > queue.count {
            queue.removeFirst(queueHead)
            queueHead = 0
        }
        writing = true
        return batch
    }

    private func doneWriting() { state.withLock { writing = false } }

    private func directDeliveryLoop() {
        while let batch = take(max: policy.batchSize, timeout: 0.5) {
            defer { doneWriting() }
            if batch.isEmpty { continue }
            var backoff = Backoff(initial: policy.backoffInitial, maximum: 2)
            var attempt = 0
            while true {
                do {
                    try transport.send(batch)
                    metrics.sinkDelivered.increment(name, by: batch.count)
                    break
                } catch {
                    metrics.sinkFailures.increment(name)
                    note(error.description)
                    attempt += 1
                    if attempt >= policy.attemptsWithoutSpool || isAbandoned {
                        metrics.sinkDropped.increment("\(name)/delivery-failed", by: batch.count)
                        break
                    }
                    sleep(backoff.next())
                }
            }
        }
    }

    private func spoolWriterLoop() {
        guard let spool else { return }
        while let batch = take(max: 1000, timeout: 0.5) {
            defer { doneWriting() }
            if batch.isEmpty { continue }
            do {
                try spool.append(batch)
            } catch {
                metrics.sinkDropped.increment("\(name)/\(error.reason)", by: batch.count)
                note(error.description)
            }
            publishSpoolGauges()
            state.withLock { state.broadcast() }
        }
    }

    private func spooledDeliveryLoop() {
        guard let spool else { return }
        var backoff = Backoff(initial: policy.backoffInitial, maximum: policy.backoffMaximum)
        while true {
            let (isStopping, isAbandoned, pastDeadline, writerBusy) = state.withLock {
                (stopping, abandoned, Date() >= deadline, queue.count > queueHead || writing)
            }
            if isAbandoned { return }
            let (records, end) = spool.peek(maxRecords: policy.batchSize)
            if records.isEmpty {
                if isStopping && (!writerBusy || pastDeadline) { return }
                wait(seconds: isStopping ? 0.05 : 0.5)
                continue
            }
            if isStopping && pastDeadline { return }
            do {
                try transport.send(records)
                spool.acknowledge(through: end, records: records.count)
                metrics.sinkDelivered.increment(name, by: records.count)
                backoff.reset()
                publishSpoolGauges()
            } catch {
                metrics.sinkFailures.increment(name)
                note(error.description)
                // At shutdown the retries go on until the drain deadline; the rest stays spooled.
                if isStopping && state.withLock({ deadline.timeIntervalSinceNow }) <= 0 { return }
                sleep(backoff.next())
            }
        }
    }

    private var isAbandoned: Bool { state.withLock { abandoned } }

    /// Sleeps up to `seconds` while the spool is empty, waking early for new records or a stop.
    private func wait(seconds: Double) {
        state.lock()
        defer { state.unlock() }
        var until = Date().addingTimeInterval(seconds)
        if stopping { until = min(until, deadline) }
        if !abandoned && Date() < until { _ = state.wait(until: until) }
    }

    /// Sleeps out a retry delay: new records do not cut it short (a dead receiver is not hammered
    /// at the alert rate); a stop does, and a draining stop never sleeps past its deadline.
    private func sleep(_ seconds: Double) {
        state.lock()
        defer { state.unlock() }
        let entryStopping = stopping
        var until = Date().addingTimeInterval(seconds)
        if stopping { until = min(until, deadline) }
        while !abandoned && stopping == entryStopping && Date() < until { _ = state.wait(until: until) }
    }

    private func note(_ error: String) { state.withLock { lastErrorText = error } }

    private func publishSpoolGauges() {
        guard let spool else { return }
        let depth = spool.depth, bytes = spool.bytes
        metrics.spoolDepth.withLock { $0[name] = depth }
        metrics.spoolBytes.withLock { $0[name] = bytes }
    }
}
