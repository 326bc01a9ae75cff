/// Topic name and topic filter rules of MQTT 3.1.1 and 5.0 (they are the same in both versions).
public enum TopicRules {
    private static let slash = UInt8(ascii: "/")
    private static let plus = UInt8(ascii: "+")
    private static let hash = UInt8(ascii: "#")
    private static let dollar = UInt8(ascii: "$")
    private static let sharePrefix = "$share/"

    /// A name a PUBLISH may carry: non-empty, at most 65535 bytes, no U+0000, no wildcards.
    public static func validateTopicName(_ topic: String) throws(MQTTTopicError) {
        let length = topic.utf8.count
        guard length > 0 else { throw .empty }
        guard length <= Int(UInt16.max) else { throw .tooLong(bytes: length) }
        let special = UTF8Validation.specialBytes(in: topic)
        guard !special.contains(.null) else { throw .containsNullCharacter }
        guard special.isDisjoint(with: [.plus, .hash]) else { throw .wildcardInTopicName }
    }

    /// A filter a SUBSCRIBE or UNSUBSCRIBE may carry: wildcards occupy whole levels and `#` only the last
    /// one; `$share/<name>/<filter>` needs a share name without `/`, `+`, `#` and a valid filter after it.
    public static func validateTopicFilter(_ filter: String) throws(MQTTTopicError) {
        try validateString(filter)
        if filter.hasPrefix(sharePrefix) {
            let rest = filter.utf8.dropFirst(sharePrefix.utf8.count)
            guard let end = rest.firstIndex(of: slash) else { throw .invalidSharedSubscription }
            let shareName = rest[..<end]
            let inner = rest[rest.index(after: end)...]
            guard !shareName.isEmpty, !inner.isEmpty,
                !shareName.contains(plus), !shareName.contains(hash)
            else { throw .invalidSharedSubscription }
            try validateFilterLevels(inner)
        } else {
            try validateFilterLevels(filter.utf8[...])
        }
    }

    /// Whether `topic` is delivered to a subscription on `filter`. Topics starting with `$` are not matched
    /// by a filter whose first level is a wildcard; a shared subscription matches on its inner filter.
    public static func matches(filter: String, topic: String) -> Bool {
        var filterBytes = filter.utf8[...]
        if filter.hasPrefix(sharePrefix) {
            let rest = filterBytes.dropFirst(sharePrefix.utf8.count)
            guard let end = rest.firstIndex(of: slash) else { return false }
            filterBytes = rest[rest.index(after: end)...]
        }
        let topicBytes = topic.utf8[...]
        if topicBytes.first == dollar, let first = filterBytes.first, first == plus || first == hash {
            return false
        }
        var f = filterBytes.startIndex
        var t = topicBytes.startIndex
        while true {
            let filterLevelEnd = filterBytes[f...].firstIndex(of: slash) ?? filterBytes.endIndex
            let filterLevel = filterBytes[f..<filterLevelEnd]
            if filterLevel.elementsEqual(CollectionOfOne(hash)) { return true }
            let topicLevelEnd = topicBytes[t...].firstIndex(of: slash) ?? topicBytes.endIndex
            let topicLevel = topicBytes[t..<topicLevelEnd]
            if !filterLevel.elementsEqual(CollectionOfOne(plus)) && !filterLevel.elementsEqual(topicLevel) {
                return false
            }
            let filterDone = filterLevelEnd == filterBytes.endIndex
            let topicDone = topicLevelEnd == topicBytes.endIndex
            if filterDone && topicDone { return true }
            if filterDone { return false }
            f = filterBytes.index(after: filterLevelEnd)
            if topicDone {
                // The topic ran out of levels: only a trailing "#" (the parent level) still matches.
                return filterBytes[f...].elementsEqual(CollectionOfOne(hash))
            }
            t = topicBytes.index(after: topicLevelEnd)
        }
    }

    private static func validateString(_ string: String) throws(MQTTTopicError) {
        let length = string.utf8.count
        guard length > 0 else { throw .empty }
        guard length <= Int(UInt16.max) else { throw .tooLong(bytes: length) }
        guard !UTF8Validation.containsNull(string) else { throw .containsNullCharacter }
    }

    private static func validateFilterLevels(_ bytes: Substring.UTF8View) throws(MQTTTopicError) {
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let byte = bytes[index]
            let next = bytes.index(after: index)
            let startsLevel = index == bytes.startIndex || bytes[bytes.index(before: index)] == slash
            let endsLevel = next == bytes.endIndex || bytes[next] == slash
            if byte == hash {
                guard startsLevel && next == bytes.endIndex else { throw .misplacedMultiLevelWildcard }
            } else if byte == plus {
                guard startsLevel && endsLevel else { throw .misplacedSingleLevelWildcard }
            }
            index = next
        }
    }
}
