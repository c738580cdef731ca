import AirlockAlerts
import AirlockDNSProxy
import AirlockEnforcement
import AirlockEvents
import AirlockFleet
import AirlockPolicy
import AirlockSystem

/// `airlock serve` in a fleet (the policy's `fleet:` section): joins the DNS enforcer to the fleet
/// client, and the client's turning points to the alerts, metrics and standard error. The
/// composition root is the only place that knows both.
enum FleetMode {
    static let usage = """
          --fleet-instance NAME
                               this instance's name in the fleet (policy `fleet:`); default the
                               policy's fleet.instance, else the host name
        """

    /// The instance name: the command line's, the policy's, or the host name made safe.
    static func instanceName(option: String?, policy: FleetPolicy) throws -> String {
        if let option {
            if let problem = FleetPolicy.nameProblem(option) {
                throw UsageError.invalidValue(option: "--fleet-instance", value: option, expected: "a name: \(problem)")
            }
            return option
        }
        if let name = policy.instance { return name }
        let safe = String(
            POSIX.hostName.map { c -> Character in
                c.isASCII && (c.isLetter || c.isNumber || c == "-" || c == "_" || c == ".") ? c : "-"
            }.prefix(64))
        return safe.isEmpty ? "airlock" : safe
    }

    /// Starts fleet sync when the policy asks for it; nil otherwise.
    static func start(
        policy: PolicySnapshot, shared: SharedInspection, instanceOption: String?, alerts: AlertPipeline?,
        err: OutputStream
    ) throws -> FleetClient? {
        guard let fleet = policy.policy.fleet else { return nil }
        let instance = try instanceName(option: instanceOption, policy: fleet)
        shared.joinFleet(FleetTerms(fleet, instance: instance))
        let builder = DecisionEventBuilder(policyVersion: policy.version)
        let client: FleetClient
        do {
            client = try FleetClient(policy: fleet, instance: instance, peer: shared) { event in
                switch event {
                case .lost(let reason, let time):
                    err.line("airlock serve: fleet: sync with Redis at \(fleet.redis) lost: \(reason); enforcing locally")
                    alerts?.submit(builder.fleetSync(lost: true, time: time, redis: fleet.redis, instance: instance, detail: reason))
                case .returned(let seconds, let time):
                    let away = "after \(JSON.number(seconds, decimals: 1)) s"
                    err.line("airlock serve: fleet: sync with Redis at \(fleet.redis) back \(away)")
                    alerts?.submit(builder.fleetSync(lost: false, time: time, redis: fleet.redis, instance: instance, detail: away))
                }
            }
        } catch {
            err.line("airlock serve: \(error)")
            throw error
        }
        if let metrics = alerts?.metrics {
            metrics.fleet.withLock {
                $0 = { [client, shared] in
                    let sync = client.status
                    let ledger = shared.fleetLedgerStatus()
                    var gauges = FleetGauges()
                    gauges.connected = sync.connected
                    gauges.lagSeconds = client.lagSeconds(at: ProxyTime.now().wall)
                    gauges.rounds = sync.rounds
                    gauges.commands = sync.commands
                    gauges.failures = sync.failures
                    gauges.convictionsPublished = sync.convictionsPublished + sync.convictionsRepublished
                    gauges.convictionsReceived = sync.convictionsReceived
                    gauges.convictionsDropped = ledger.droppedConvictions
                    gauges.budgetKeys = ledger.trackedKeys
                    gauges.budgetKeysRefused = ledger.refusedKeys
                    return gauges
                }
            }
        }
        try client.start()
        err.line("airlock serve: fleet: instance \(instance); \(fleet)")
        return client
    }

    /// One status line (SIGUSR1).
    static func status(_ client: FleetClient, _ shared: SharedInspection) -> String {
        let s = client.status
        let l = shared.fleetLedgerStatus()
        return "{\"connected\":\(s.connected),\"lag_seconds\":\(JSON.number(client.lagSeconds(at: ProxyTime.now().wall), decimals: 3)),"
            + "\"rounds\":\(s.rounds),\"commands\":\(s.commands),\"failures\":\(s.failures),"
            + "\"convictions_published\":\(s.convictionsPublished + s.convictionsRepublished),"
            + "\"convictions_received\":\(s.convictionsReceived),\"convictions_adopted\":\(l.adoptedConvictions),"
            + "\"budget_keys\":\(l.trackedKeys),\"budget_keys_refused\":\(l.refusedKeys)"
            + (s.lastError.map { ",\"last_error\":\(JSON.string($0))" } ?? "") + "}"
    }
}
