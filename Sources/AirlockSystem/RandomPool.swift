import CAirlockSys

/// Unpredictable 16-bit values for upstream query IDs, from the kernel's CSPRNG (getrandom) in
/// 4 KiB refills, so each ID costs a load instead of a system call.
package struct RandomPool {
    private var bytes = [UInt8](repeating: 0, count: 4096)
    private var next = 4096

    package init() {}

    package mutating func nextUInt16() -> UInt16 {
        if next + 2 > bytes.count { refill() }
        let value = UInt16(bytes[next]) << 8 | UInt16(bytes[next + 1])
        next += 2
        return value
    }

    /// A value in `0..<bound` (bound ≤ 65536), without modulo bias.
    package mutating func next(below bound: Int) -> Int {
        precondition(bound > 0 && bound <= 65_536)
        let limit = 65_536 - 65_536 % bound
        while true {
            let value = Int(nextUInt16())
            if value < limit { return value % bound }
        }
    }

    private mutating func refill() {
        let ok = bytes.withUnsafeMutableBytes { airlock_random_bytes($0.baseAddress, $0.count) == 0 }
        // getrandom only fails for bad arguments or before the pool is seeded at early boot.
        precondition(ok, "getrandom failed")
        next = 0
    }
}
