import AirlockEvents
import CAirlockSys

extension ProxyTime {
    /// Both clocks, read now (CLOCK_REALTIME and CLOCK_MONOTONIC).
    public static func now() -> ProxyTime {
        ProxyTime(wall: Timestamp(nanoseconds: airlock_realtime_ns()), monotonic: airlock_monotonic_ns())
    }
}
