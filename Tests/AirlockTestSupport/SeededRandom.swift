/// The one pseudo-random generator of the test suites (SplitMix64): seeded, so a failing case is
/// named by its seed and reproduces; never the system generator, whose failures cannot be replayed.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) {
        state = seed
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// `length` characters drawn from `alphabet`.
    public mutating func string(_ alphabet: String, length: Int) -> String {
        let characters = Array(alphabet)
        return String((0..<length).map { _ in characters[Int(next() % UInt64(characters.count))] })
    }
}
