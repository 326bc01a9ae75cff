/// "Did you mean …?" for near-miss keys and values.
enum Suggestions {
    /// The candidate closest to `word` when it is close enough to be a likely typo
    /// (edit distance ≤ 1/3 of the longer word, at least 1; case and `-`/`_` differences are free).
    static func nearest(to word: String, in candidates: [String]) -> String? {
        let normalizedWord = normalize(word)
        var best: (candidate: String, distance: Int)?
        for candidate in candidates {
            let distance = editDistance(normalizedWord, normalize(candidate))
            if distance < (best?.distance ?? Int.max) { best = (candidate, distance) }
        }
        guard let best else { return nil }
        let allowed = max(1, max(word.count, best.candidate.count) / 3)
        return best.distance <= allowed ? best.candidate : nil
    }

    /// `respond:` rules named their topic filter `on`, which YAML 1.1 (PyYAML, and schema validators built on
    /// it) reads as the boolean true, so the file and its schema disagreed; the key is now `filter`.
    static let renamedOnKey = "did you mean `filter`? YAML 1.1 tools such as PyYAML read a bare `on` as true, so the key is `filter`"

    /// A hint for an unknown name: the near miss if there is one, else the list of what is allowed.
    static func hint(for word: String, in candidates: [String], noun: String = "keys") -> String {
        if let near = nearest(to: word, in: candidates) { return "did you mean `\(near)`?" }
        return "allowed \(noun): " + candidates.joined(separator: ", ")
    }

    private static func normalize(_ word: String) -> [Character] {
        Array(word.lowercased().filter { $0 != "-" && $0 != "_" })
    }

    /// Levenshtein distance, one row at a time.
    private static func editDistance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)
                current[j] = min(previous[j] + 1, current[j - 1] + 1, substitution)
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
