import AirlockEngine
import AirlockEvents
import AirlockNames

/// `airlock explain NAME...`: how the engine reads one name, feature by feature — for an analyst
/// asking "why was this flagged?" and for checking thresholds against a list of known-good names.
enum ExplainCommand {
    static let usage = """
        usage: airlock explain [--tsv] NAME...   (or names on standard input, one per line)

        Prints each name's domain group, lexical features and score, and the components of the score.
          --tsv    one line per name: score, entropy, ngram, length, group, name, odd share, payload bytes
        """

    static func run(_ args: [String]) throws -> Int32 {
        let parsed = try Arguments(args, valued: [], switches: ["--tsv", "--help", "-h"])
        if parsed.has("--help") || parsed.has("-h") {
            OutputStream.standardOutput.line(usage)
            return 0
        }
        let tsv = parsed.has("--tsv")
        let grouper = DomainGrouper()
        let extractor = NameFeatureExtractor()
        let scorer = NameScorer(configuration: .default)
        let server = Endpoint(address: .v4(0), port: 53)
        let out = BufferedOutput(.standardOutput)
        var names = parsed.positionals
        if names.isEmpty {
            while let line = readLine() { names.append(line) }
        }
        var invalid = 0
        for text in names where !text.isEmpty {
            guard let name = DNSName(text) else {
                invalid += 1
                OutputStream.standardError.line("airlock explain: not a valid name: \(text)")
                continue
            }
            let key = grouper.key(for: name, server: server)
            let f = extractor.features(of: name, groupLabels: key.labelCount)
            let score = scorer.score(f)
            if tsv {
                out.line(
                    "\(Evidence.formatted(score))\t\(Evidence.formatted(f.entropy))\t"
                        + "\(Evidence.formatted(f.ngramLogLikelihood))\t\(f.subdomainLength)\t\(key.value)\t\(name)\t"
                        + "\(Evidence.formatted(f.oddShare))\t\(Evidence.formatted(f.payloadBits / 8))")
                continue
            }
            out.line("\(name)")
            out.line("  group: \(key.value) (\(key.kind.rawValue))")
            out.line(
                "  subdomain: \(f.subdomainLabels) labels, \(f.subdomainLength) bytes, longest \(f.longestLabel); "
                    + "entropy \(Evidence.formatted(f.entropy)) bits/char; n-gram \(Evidence.formatted(f.ngramLogLikelihood)) "
                    + "bits/char; shape \(f.shape.rawValue); non-hostname bytes \(f.nonHostnameBytes)")
            let c = DetectionConfiguration.default
            let odd = Double(f.subdomainLength) >= c.oddNameMinLength || f.nonHostnameBytes > 0 ? f.oddShare : 0
            out.line(
                "  odd: \(Evidence.formatted(odd)) of the name (counts toward odd names per hour, campaigns and "
                    + "beacons); payload in odd labels \(Evidence.formatted(f.payloadBits / 8)) bytes "
                    + "(a single name alerts from \(Evidence.formatted(c.singleNamePayloadBytes)))")
            if DomainExemptions.defaults.contains(name) {
                out.line("  exempt: a service that encodes data in names by design (not scored)")
            } else if LocalZones.defaults.contains(name) {
                out.line("  local zone: no outside server answers for it (scored and reported, never convicted)")
            }
            let payloadSized = f.payloadBits / 8 >= c.singleNamePayloadBytes || f.nonHostnameBytes > 0
            let verdict = score >= c.singleNameAlertScore && payloadSized ? "suspicious-name"
                : score >= c.singleNameAlertScore ? "odd, but no more payload than a digest: listed, not an alert"
                : score >= c.suspiciousNameScore ? "counts as suspicious for its domain" : "ordinary"
            out.line("  score \(Evidence.formatted(score)): \(verdict)")
            for e in scorer.evidence(f) { out.line("    \(e)") }
        }
        out.flush()
        return invalid == 0 ? 0 : 1
    }
}
