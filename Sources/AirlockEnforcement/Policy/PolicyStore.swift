import Synchronization

/// The policy in force, swapped atomically on reload: one per process, read by every DNS worker, the
/// HTTP proxy's connections and the resolver they share, so a `SIGHUP` changes all of them at once.
public final class PolicyStore: Sendable {
    private let current: Mutex<PolicySnapshot>
    /// Bumped on every ``install(_:)``; a worker compares it once per loop turn, without the lock.
    package let generation = Atomic<Int>(0)

    public init(_ snapshot: PolicySnapshot) {
        current = Mutex(snapshot)
    }

    /// The policy in force.
    public var policy: PolicySnapshot { current.withLock { $0 } }

    /// Puts `snapshot` in force.
    public func install(_ snapshot: PolicySnapshot) {
        current.withLock { $0 = snapshot }
        generation.add(1, ordering: .releasing)
    }
}
