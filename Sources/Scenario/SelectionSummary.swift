/// The devices a timeline step selects, as `fleet run --dry-run` prints them: `12 devices: sensor-0001…0010,
/// sensor-0017, sensor-0020`. Client IDs that count up by one (same text before the number, same padding)
/// are a range; past `width` characters the rest is counted, not listed.
public enum SelectionSummary {
    public static func describe(_ clientIDs: [String], width: Int = 72) -> String {
        let count = "\(clientIDs.count) \(clientIDs.count == 1 ? "device" : "devices")"
        guard !clientIDs.isEmpty else { return count }
        // A run of two reads better as both IDs than as a range.
        let entries: [(text: String, devices: Int)] = runs(clientIDs).flatMap { run in
            run.count == 2 ? [(run.first, 1), (run.last, 1)] : [(run.text, run.count)]
        }
        var shown: [String] = []
        var listed = 0
        var length = 0
        for entry in entries {
            let more = listed + entry.devices < clientIDs.count ? "… 99999 more".count : 0
            if !shown.isEmpty, length + entry.text.count + more > width { break }
            shown.append(entry.text)
            listed += entry.devices
            length += entry.text.count + 2
        }
        if listed < clientIDs.count { shown.append("… \(clientIDs.count - listed) more") }
        return count + ": " + shown.joined(separator: ", ")
    }

    /// Consecutive client IDs, in the order given.
    struct Run {
        var first: String
        var last: String
        var count: Int
        /// `sensor-0001…0010`: the first ID, then the last one's number.
        var text: String {
            guard count > 1, let number = Self.split(last) else { return first }
            return first + "…" + number.digits
        }

        /// The text before a trailing number and the number's digits.
        static func split(_ id: String) -> (stem: Substring, digits: Substring)? {
            let digits = id.reversed().prefix { $0.isASCII && $0.isNumber }.count
            guard digits > 0, digits <= 18 else { return nil }
            return (id.dropLast(digits), id.suffix(digits))
        }

        /// Whether `next` is one more than `last`: same stem, and the same width unless the number is not padded.
        func continues(with next: String) -> Bool {
            guard let a = Self.split(last), let b = Self.split(next), a.stem == b.stem,
                  let x = Int(a.digits), let y = Int(b.digits), y == x + 1 else { return false }
            return a.digits.count == b.digits.count || b.digits.first != "0" && a.digits.first != "0"
        }
    }

    static func runs(_ clientIDs: [String]) -> [Run] {
        var runs: [Run] = []
        for id in clientIDs {
            if let current = runs.last, current.continues(with: id) {
                runs[runs.count - 1].last = id
                runs[runs.count - 1].count += 1
            } else {
                runs.append(Run(first: id, last: id, count: 1))
            }
        }
        return runs
    }
}
