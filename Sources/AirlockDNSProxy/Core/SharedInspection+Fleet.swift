import AirlockEnforcement
import AirlockEvents

/// Fleet mode's way in: the fleet layer (`AirlockFleet`) holds the shared inspection as a
/// ``FleetPeer`` and swaps batches with the enforcer a few times a second, each in one short
/// critical section; the query path never waits on it.
extension SharedInspection: FleetPeer {
    /// Puts the shared enforcer in a fleet (see ``DNSEnforcer/joinFleet(_:)``).
    public func joinFleet(_ terms: FleetTerms) {
        enforcer.withLock { $0.enforcer.joinFleet(terms) }
    }

    public func takeOutgoing() -> FleetOutgoing {
        enforcer.withLock { $0.enforcer.takeFleetOutgoing() }
    }

    public func install(_ incoming: FleetIncoming) {
        enforcer.withLock { $0.enforcer.installFleet(incoming) }
    }

    public func restore(_ outgoing: FleetOutgoing) {
        enforcer.withLock { $0.enforcer.restoreFleet(outgoing) }
    }

    public func localConvictions(now: Timestamp) -> [Conviction] {
        enforcer.withLock { $0.enforcer.localConvictions(now: now) }
    }

    public func fleetLedgerStatus() -> FleetLedgerStatus {
        enforcer.withLock { $0.enforcer.fleetStatus }
    }
}
