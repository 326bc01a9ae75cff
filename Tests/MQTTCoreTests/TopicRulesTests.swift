import MQTTCore
import XCTest

final class TopicRulesTests: XCTestCase {
    func testValidTopicNames() {
        for name in ["a", "/", "a/b/c", "/leading", "trailing/", "a//b", "$SYS/broker/load", "sport/tennis/player1", " "] {
            XCTAssertNoThrow(try TopicRules.validateTopicName(name), name)
        }
    }

    func testInvalidTopicNames() {
        let cases: [(String, MQTTTopicError)] = [
            ("", .empty), ("a/+", .wildcardInTopicName), ("#", .wildcardInTopicName), ("a+b", .wildcardInTopicName),
            ("a\u{0}", .containsNullCharacter), (String(repeating: "é", count: 32_768), .tooLong(bytes: 65_536)),
        ]
        for (name, expected) in cases {
            XCTAssertThrowsError(try TopicRules.validateTopicName(name)) { XCTAssertEqual($0 as? MQTTTopicError, expected) }
        }
    }

    func testValidTopicFilters() {
        for filter in [
            "#", "+", "+/+", "/+", "a/#", "a/+/c", "+/tennis/#", "sport/+", "$SYS/#", "$share/group/a/+",
            "$share/g/#", "a//b", "$share/g/$SYS/+",
        ] {
            XCTAssertNoThrow(try TopicRules.validateTopicFilter(filter), filter)
        }
    }

    func testInvalidTopicFilters() {
        let cases: [(String, MQTTTopicError)] = [
            ("", .empty), ("a/#/b", .misplacedMultiLevelWildcard), ("a#", .misplacedMultiLevelWildcard),
            ("#/", .misplacedMultiLevelWildcard), ("a+", .misplacedSingleLevelWildcard),
            ("+a/b", .misplacedSingleLevelWildcard), ("a/b+/c", .misplacedSingleLevelWildcard),
            ("$share/", .invalidSharedSubscription), ("$share/g", .invalidSharedSubscription),
            ("$share/g/", .invalidSharedSubscription), ("$share//a", .invalidSharedSubscription),
            ("$share/g+/a", .invalidSharedSubscription), ("$share/#/a", .invalidSharedSubscription),
            ("$share/g/a#", .misplacedMultiLevelWildcard), ("x\u{0}", .containsNullCharacter),
        ]
        for (filter, expected) in cases {
            XCTAssertThrowsError(try TopicRules.validateTopicFilter(filter), filter) {
                XCTAssertEqual($0 as? MQTTTopicError, expected, filter)
            }
        }
    }

    func testMatching() {
        let matches: [(String, String)] = [
            ("sport/tennis/player1/#", "sport/tennis/player1"),
            ("sport/tennis/player1/#", "sport/tennis/player1/ranking"),
            ("sport/tennis/player1/#", "sport/tennis/player1/score/wimbledon"),
            ("sport/#", "sport"), ("#", "a/b/c"), ("#", "/"), ("sport/tennis/+", "sport/tennis/player1"),
            ("sport/+", "sport/"), ("+/+", "/finance"), ("/+", "/finance"), ("+", "finance"), ("a/b", "a/b"),
            ("+/+/+", "a/b/c"), ("a/+/c", "a//c"), ("$SYS/#", "$SYS/broker/clients"), ("$SYS/+", "$SYS/x"),
            ("$share/g/devices/+/t", "devices/1/t"), ("$share/g/#", "anything/at/all"), ("a/#", "a/"),
        ]
        for (filter, topic) in matches {
            XCTAssertTrue(TopicRules.matches(filter: filter, topic: topic), "\(filter) should match \(topic)")
        }
        let misses: [(String, String)] = [
            ("sport/tennis/+", "sport/tennis/player1/ranking"), ("sport/+", "sport"), ("+", "/finance"),
            ("a/b", "a/b/c"), ("a/b/c", "a/b"), ("a/b", "a/c"), ("a/+/c", "a/b/d"),
            ("#", "$SYS/broker"), ("+/broker", "$SYS/broker"), ("+", "$SYS"), ("$share/g/#", "$SYS/x"),
            ("$share/g", "g"), ("A", "a"), ("a/b/#", "a/c"),
        ]
        for (filter, topic) in misses {
            XCTAssertFalse(TopicRules.matches(filter: filter, topic: topic), "\(filter) should not match \(topic)")
        }
    }
}
