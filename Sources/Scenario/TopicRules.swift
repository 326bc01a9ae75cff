/// MQTT topic-name and topic-filter rules (MQTT 5 §4.7), checked on templates before anything connects.
enum TopicRules {
    /// A topic a device or the controller publishes to: no wildcards, not empty, ≤ 65535 bytes.
    static func problemWithTopicName(_ topic: String) -> String? {
        if topic.isEmpty { return "topic is empty" }
        if topic.utf8.count > 65_535 { return "topic is longer than 65535 bytes" }
        if topic.contains("+") || topic.contains("#") {
            return "topic `\(topic)` contains a wildcard (`+` or `#`); wildcards are only allowed in subscriptions"
        }
        if topic.unicodeScalars.contains("\u{0}") { return "topic contains a NUL character" }
        return nil
    }

    /// A subscription filter: `#` only as the whole last level, `+` only as a whole level.
    static func problemWithTopicFilter(_ filter: String) -> String? {
        if filter.isEmpty { return "topic filter is empty" }
        if filter.utf8.count > 65_535 { return "topic filter is longer than 65535 bytes" }
        let levels = filter.split(separator: "/", omittingEmptySubsequences: false)
        for (position, level) in levels.enumerated() {
            if level.contains("#"), level != "#" || position != levels.count - 1 {
                return "`#` must be the whole last level of filter `\(filter)`"
            }
            if level.contains("+"), level != "+" {
                return "`+` must be a whole level of filter `\(filter)`"
            }
        }
        return nil
    }

    /// Whether some topic matches both filters (`a/+/c` and `a/b/#` do; `a/b` and `a/c` do not).
    static func filtersOverlap(_ first: String, _ second: String) -> Bool {
        let a = first.split(separator: "/", omittingEmptySubsequences: false)
        let b = second.split(separator: "/", omittingEmptySubsequences: false)
        for index in 0..<max(a.count, b.count) {
            guard index < a.count else { return b[index...].elementsEqual(["#"]) }
            guard index < b.count else { return a[index...].elementsEqual(["#"]) }
            if a[index] == "#" || b[index] == "#" { return true }
            if a[index] != "+" && b[index] != "+" && a[index] != b[index] { return false }
        }
        return true
    }

    /// A filter matching every device's instance of a per-device topic template:
    /// each level that contains a per-device placeholder becomes `+`.
    static func wildcardFilter(for template: Template) -> String {
        var levels: [String] = [""]
        var levelIsPerDevice = [false]
        for part in template.parts {
            switch part {
            case .text(let text):
                let pieces = text.split(separator: "/", omittingEmptySubsequences: false)
                for (offset, piece) in pieces.enumerated() {
                    if offset > 0 {
                        levels.append("")
                        levelIsPerDevice.append(false)
                    }
                    levels[levels.count - 1] += piece
                }
            default:
                levelIsPerDevice[levelIsPerDevice.count - 1] = true
            }
        }
        return zip(levels, levelIsPerDevice).map { $1 ? "+" : $0 }.joined(separator: "/")
    }
}
