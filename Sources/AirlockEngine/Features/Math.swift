/// The two transcendental functions the engine needs, in plain Swift: the engine links no C
/// library (not even libm through Glibc), so it stays portable and trivially fuzzable.
enum Math {
    private static let ln2 = 0.693_147_180_559_945_3

    /// Base-2 logarithm; relative error below 1e-12 over the doubles the engine sees.
    @inline(__always)
    static func log2(_ x: Double) -> Double {
        guard x > 0 else { return -.infinity }
        guard x.isFinite else { return x }
        // x = m · 2^e with m in [1, 2); ln m = 2·atanh((m−1)/(m+1)), a fast-converging series.
        let e = Double(x.exponent)
        let m = x.significand
        let y = (m - 1) / (m + 1)
        let y2 = y * y
        var term = y, sum = 0.0, k = 1.0
        for _ in 0..<14 {
            sum += term / k
            term *= y2
            k += 2
        }
        return e + 2 * sum / ln2
    }

    /// e^x for the decay factors (x ≤ 0 in practice); saturates to 0 below −700.
    @inline(__always)
    static func exp(_ x: Double) -> Double {
        if x < -700 { return 0 }
        if x > 700 { return .infinity }
        // x = k·ln2 + r with |r| ≤ ln2/2; e^r by Taylor series, then scale by 2^k.
        let k = (x / ln2).rounded()
        let r = x - k * ln2
        var term = 1.0, sum = 1.0
        for i in 1...16 {
            term *= r / Double(i)
            sum += term
        }
        return Double(sign: .plus, exponent: Int(k), significand: 1) * sum
    }
}
