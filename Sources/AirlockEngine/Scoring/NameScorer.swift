/// Turns ``NameFeatures`` into a lexical score in [0, 1]: how much one name looks like encoded data.
///
/// Each component ramps from its low to its high threshold, so the score moves smoothly and every
/// part of it can be shown to an analyst. The n-gram component counts only in proportion to length,
/// because short labels (`mx1`, `e12`) are too short to judge pronounceability.
///
/// A class: the engine scores every name, and a struct holding the configuration was copied (528
/// bytes) at each call.
public final class NameScorer: Sendable {
    public let configuration: DetectionConfiguration

    public init(configuration: DetectionConfiguration) {
        self.configuration = configuration
    }

    /// Component weights: chosen so that long random data (length + entropy + unlikely n-grams) or
    /// bytes no hostname contains reach 1 alone, and no single soft signal does.
    static let ngramWeight = 0.45
    static let entropyWeight = 0.30
    static let lengthWeight = 0.35
    static let nonHostnameWeight = 0.55
    static let shapeWeight = 0.25

    /// The lexical score of a name's subdomain part.
    public func score(_ f: NameFeatures) -> Double {
        var total = 0.0
        forEachComponent(f) { _, _, _, contribution in total += contribution }
        return min(1, total)
    }

    /// The components that contributed, as evidence (only built when a verdict needs it).
    public func evidence(_ f: NameFeatures) -> [Evidence] {
        var out: [Evidence] = []
        forEachComponent(f) { name, value, threshold, contribution in
            out.append(Evidence(feature: name, value: value, threshold: threshold, contribution: contribution))
        }
        return out.sorted { $0.contribution > $1.contribution }
    }

    private func forEachComponent(_ f: NameFeatures, _ body: (String, Double, Double, Double) -> Void) {
        // The configuration read in place: a local copy of it was a 528-byte copy per call.
        if f.nonHostnameBytes > 0 {
            body("non_hostname_bytes", Double(f.nonHostnameBytes), 1, Self.nonHostnameWeight * min(1, Double(f.nonHostnameBytes) / 3))
        }
        guard f.subdomainLength >= configuration.minScoredLength else { return }
        let length = Double(f.subdomainLength)
        let lengthConfidence = ramp(length, Double(configuration.minScoredLength), 20)
        let ngram = ramp(-f.ngramLogLikelihood, -configuration.ngramLow, -configuration.ngramHigh) * lengthConfidence
        if ngram > 0 { body("ngram_log_likelihood", f.ngramLogLikelihood, configuration.ngramLow, Self.ngramWeight * ngram) }
        let entropy = ramp(f.entropy, configuration.entropyLow, configuration.entropyHigh)
        if entropy > 0 { body("entropy", f.entropy, configuration.entropyLow, Self.entropyWeight * entropy) }
        let size = ramp(length, Double(configuration.lengthLow), Double(configuration.lengthHigh))
        if size > 0 { body("subdomain_length", length, Double(configuration.lengthLow), Self.lengthWeight * size) }
        switch f.shape {
        case .hex, .base32, .base64:
            body("encoding_shape_\(f.shape.rawValue)", length, 16, Self.shapeWeight)
        case .plain, .binary:
            break
        }
    }
}

/// 0 at or below `low`, 1 at or above `high`, linear between.
@inline(__always)
func ramp(_ value: Double, _ low: Double, _ high: Double) -> Double {
    if value <= low { return 0 }
    if value >= high { return 1 }
    return (value - low) / (high - low)
}
