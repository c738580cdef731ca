/// "Did you mean" for misspelt keys and words: the closest candidate by edit distance, if close enough
/// to be a typo (1 edit for words up to 4 characters, 2 beyond), or one word starting with the other, give or
/// take a last letter (`enforcing` → `enforce`, `quarantine` → `quarantine_seconds`).
enum Suggestion {
    static func closest(to word: String, in candidates: some Collection<String>) -> String? {
        let lower = Array(word.lowercased().utf8)
        var best: String?
        var bestDistance = Int.max
        for candidate in candidates {
            let distance = editDistance(lower, Array(candidate.lowercased().utf8))
            if distance < bestDistance || (distance == bestDistance && best.map { candidate < $0 } == true) {
                best = candidate
                bestDistance = distance
            }
        }
        if let best, bestDistance <= (lower.count <= 4 ? 1 : 2), bestDistance < lower.count { return best }
        return candidates.first { candidate in
            let target = Array(candidate.lowercased().utf8)
            let common = zip(lower, target).prefix { $0 == $1 }.count
            return common >= 4 && common >= min(target.count, lower.count) - 1
        }
    }

    /// Optimal string alignment distance: insertions, deletions, substitutions and adjacent swaps
    /// (`alow`→`allow` is 1, `dsn`→`dns` is 1).
    static func editDistance(_ a: [UInt8], _ b: [UInt8]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous2 = [Int](repeating: 0, count: b.count + 1)
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                var value = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    value = min(value, previous2[j - 2] + 1)
                }
                current[j] = value
            }
            (previous2, previous, current) = (previous, current, previous2)
        }
        return previous[b.count]
    }
}
