import Foundation

/// Waits until `condition` holds or `seconds` pass, and says whether it held: how tests wait for a
/// server to listen, a file to fill or a counter to move, instead of sleeping a fixed time and
/// hoping (on a loaded machine a fixed sleep is either too short or wasted). The one place a test
/// pauses, between two looks at the condition.
@discardableResult
public func eventually(seconds: Double, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if try condition() { return true }
        var pause = timespec(tv_sec: 0, tv_nsec: 10_000_000)
        nanosleep(&pause, nil)
    }
    return try condition()
}
