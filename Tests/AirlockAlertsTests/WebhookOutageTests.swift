import AirlockEnforcement
import AirlockEngine
import AirlockEvents
import AirlockTestSupport
import Foundation
import Synchronization
import Testing

@testable import AirlockAlerts

/// The webhook receiver dies in the middle of a tunnel alert stream and comes back later; Airlock's
/// alert pipeline is restarted twice in between (once gracefully, once as a crash) over the same
/// spool. Every alert raised must arrive; duplicates must carry the same id.
@Suite(.serialized) struct WebhookOutageTests {
    /// `sandboxes` agents tunnelling at once, each its own aggregation key, interleaved by time.
    static func decisions(sandboxes: Int, perSandbox: Int) -> [DecisionEvent] {
        let base = Samples.tunnelDecisions(count: perSandbox, interval: 0.05)
        var out: [DecisionEvent] = []
        for d in base {
            for s in 0..<sandboxes {
                var copy = d
                copy.sandbox = SandboxID("agent-\(s)")
                out.append(copy)
            }
        }
        return out
    }

    @Test(.enabled(if: TestProcess.python != nil, "needs python3"))
    func everyAlertArrivesAcrossReceiverOutageAndRestarts() throws {
        let python = try #require(TestProcess.python)
        let script = Samples.repositoryRoot.appendingPathComponent("Tests/AirlockAlertsTests/Fixtures/webhook_receiver.py").path
        let dir = Samples.temporaryDirectory("outage")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let received = dir + "/received.txt"
        let port = Samples.freePort()
        func startReceiver(ackLoss: Int = 0) throws -> TestProcess {
            let p = try TestProcess(
                python,
                [script, "--port", String(port), "--out", received, "--lifetime", "90", "--ack-loss", String(ackLoss)])
            #expect(TestProcess.waitForPort(port), "receiver did not start")
            return p
        }
        var config = AlertingConfiguration()
        config.windowSeconds = 1
        config.shutdownDrainSeconds = 0.3
        var webhook = AlertingConfiguration.WebhookSink(url: "http://127.0.0.1:\(port)/alerts", spoolDirectory: dir + "/spool")
        webhook.batchSize = 25
        webhook.timeoutMilliseconds = 1000
        webhook.backoffInitialSeconds = 0.05
        webhook.backoffMaximumSeconds = 0.4
        config.webhook = webhook
        let raisedIDs = Mutex<[String]>([])
        let observer: @Sendable (Alert) -> Void = { alert in raisedIDs.withLock { $0.append(alert.id) } }

        let all = Self.decisions(sandboxes: 40, perSandbox: 400)  // ~16,000 decisions, ~20 s of traffic time
        let parts = [all[0..<(all.count / 3)], all[(all.count / 3)..<(2 * all.count / 3)], all[(2 * all.count / 3)...]]
        func feed(_ pipeline: AlertPipeline, _ part: ArraySlice<DecisionEvent>, killing receiver: TestProcess? = nil) {
            var n = 0
            for chunk in stride(from: part.startIndex, to: part.endIndex, by: 400) {
                for d in part[chunk..<min(chunk + 400, part.endIndex)] { pipeline.submit(d) }
                n += 1
                if n == 8, let receiver { receiver.kill() }  // mid-stream
                // Paced by the sink: the next chunk once this one has left the in-memory queue.
                eventually(seconds: 5) { pipeline.queued == 0 }
            }
        }

        var receiver = try startReceiver()
        // Run 1: receiver up, then killed mid-stream; graceful restart (roll-ups flushed, backlog spooled).
        let first = try AlertPipeline(configuration: config, observer: observer)
        feed(first, parts[0])
        #expect(eventually(seconds: 10) { first.spooled == 0 && first.queued == 0 }, "run 1 delivered before the outage")
        feed(first, parts[1], killing: receiver)
        first.finish()
        let spooledAfterRun1 = try Spool(directory: dir + "/spool").depth
        // Run 2: receiver still down; then a crash (threads stop, nothing drained or rolled up).
        let second = try AlertPipeline(configuration: config, observer: observer)
        feed(second, parts[2])
        #expect(eventually(seconds: 10) { second.queued == 0 }, "run 2 spooled everything before the crash")
        second.abandon()
        let spooledAtCrash = try Spool(directory: dir + "/spool").depth
        // Receiver back, losing its first two acknowledgements (records kept, no answer): run 3
        // delivers the backlog from the spool and re-sends those two batches.
        receiver = try startReceiver(ackLoss: 2)
        let third = try AlertPipeline(configuration: config, observer: observer)
        #expect(eventually(seconds: 30) { third.spooled == 0 && third.queued == 0 }, "backlog delivered")
        third.finish()
        receiver.kill()

        let raised = raisedIDs.withLock { $0 }
        let lines = (try String(contentsOfFile: received, encoding: .utf8)).split(separator: "\n")
        let deliveredIDs = lines.map { String($0.split(separator: " ")[0]) }
        let unique = Set(deliveredIDs)
        var contentByID: [String: Set<String>] = [:]
        for line in lines {
            let fields = line.split(separator: " ")
            contentByID[String(fields[0]), default: []].insert(String(fields.last!))
        }
        let lost = Set(raised).subtracting(unique)
        let unknown = unique.subtracting(raised)
        print(
            "webhook outage: raised \(raised.count) alerts (\(Set(raised).count) distinct ids), delivered \(lines.count) "
                + "records, \(unique.count) distinct, duplicates \(lines.count - unique.count), lost \(lost.count); "
                + "spool depth after graceful restart \(spooledAfterRun1), at crash \(spooledAtCrash); "
                + "decisions submitted \(all.count)")
        #expect(Set(raised).count == raised.count, "ids are unique per alert")
        #expect(lost.isEmpty, "lost: \(lost.prefix(5))")
        #expect(unknown.isEmpty)
        #expect(lines.count - unique.count >= 2, "the lost acknowledgements were re-sent")
        #expect(contentByID.values.allSatisfy { $0.count == 1 }, "a duplicate is the same record under the same id")
        #expect(raised.count > 500)
        #expect(spooledAfterRun1 > 0 && spooledAtCrash > spooledAfterRun1, "the outage was real")
        let metrics = third.metrics.render()
        #expect(metrics.contains("airlock_spool_depth{sink=\"webhook\"} 0"))
    }
}
