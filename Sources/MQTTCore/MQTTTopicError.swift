/// Why a topic name or topic filter breaks the MQTT rules.
public enum MQTTTopicError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Topic names and filters must be at least one character long.
    case empty
    /// Longer than the 65535 bytes a UTF-8 string can carry.
    case tooLong(bytes: Int)
    /// U+0000 is not allowed in any MQTT string.
    case containsNullCharacter
    /// `+` or `#` in a topic name (they are only meaningful in filters).
    case wildcardInTopicName
    /// `#` that is not alone in the last level.
    case misplacedMultiLevelWildcard
    /// `+` that does not occupy a whole level.
    case misplacedSingleLevelWildcard
    /// `$share/` without a non-empty share name free of `/`, `+`, `#`, or without a filter after it.
    case invalidSharedSubscription

    public var description: String {
        switch self {
        case .empty: return "topic is empty"
        case .tooLong(let bytes): return "topic is \(bytes) bytes long, more than 65535"
        case .containsNullCharacter: return "topic contains U+0000"
        case .wildcardInTopicName: return "topic name contains a wildcard (+ or #)"
        case .misplacedMultiLevelWildcard: return "'#' must be alone in the last level of a filter"
        case .misplacedSingleLevelWildcard: return "'+' must occupy a whole level of a filter"
        case .invalidSharedSubscription: return "shared subscription must be $share/<name>/<filter>"
        }
    }
}
