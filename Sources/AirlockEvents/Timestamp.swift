/// A point in time with nanosecond resolution, as captures and sockets report it.
///
/// Kept as an integer so replays are bit-for-bit reproducible: the engine's windows
/// must give the same verdicts live and offline for the same packet times.
public struct Timestamp: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Nanoseconds since the Unix epoch.
    public var nanoseconds: Int64

    public init(nanoseconds: Int64) { self.nanoseconds = nanoseconds }
    public init(seconds: Int64, microseconds: Int64) { self.nanoseconds = seconds * 1_000_000_000 + microseconds * 1_000 }
    public init(seconds: Double) { self.nanoseconds = Int64(seconds * 1e9) }

    /// Seconds since the epoch, for arithmetic on windows.
    public var seconds: Double { Double(nanoseconds) / 1e9 }

    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool { lhs.nanoseconds < rhs.nanoseconds }

    /// Seconds from `other` to `self` (negative when `other` is later).
    public func seconds(since other: Timestamp) -> Double { Double(nanoseconds - other.nanoseconds) / 1e9 }

    /// RFC 3339 UTC with microseconds, e.g. `2024-05-01T12:00:00.123456Z`.
    public var description: String { RFC3339.format(self) }
}

/// Minimal civil-time formatting (no Foundation in the pure modules).
enum RFC3339 {
    static func format(_ t: Timestamp) -> String {
        let totalMicros = t.nanoseconds >= 0 ? t.nanoseconds / 1000 : (t.nanoseconds - 999) / 1000
        var secs = totalMicros >= 0 ? totalMicros / 1_000_000 : (totalMicros - 999_999) / 1_000_000
        let micros = totalMicros - secs * 1_000_000
        var days = secs >= 0 ? secs / 86_400 : (secs - 86_399) / 86_400
        secs -= days * 86_400
        let hour = secs / 3600, minute = (secs % 3600) / 60, second = secs % 60
        // Howard Hinnant's days-from-civil inverse.
        days += 719_468
        let era = (days >= 0 ? days : days - 146_096) / 146_097
        let doe = days - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        var year = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        if month <= 2 { year += 1 }
        func pad(_ v: Int64, _ width: Int) -> String {
            let s = String(v)
            return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(hour, 2)):\(pad(minute, 2)):\(pad(second, 2)).\(pad(micros, 6))Z"
    }
}

/// The two clocks the live proxies need: wall time for the engine's windows and the logs (the same
/// time base a capture has, so replay agrees), monotonic time for timeouts and cache ages. A value
/// the protocol cores take as input (tests pass fake times); `AirlockSystem` reads the real clocks.
public struct ProxyTime: Sendable {
    public var wall: Timestamp
    /// Nanoseconds on a clock that never jumps.
    public var monotonic: Int64

    public init(wall: Timestamp, monotonic: Int64) {
        self.wall = wall
        self.monotonic = monotonic
    }
}
