import LabBroker
import MQTTCore
import XCTest

final class AuthorizerTests: XCTestCase {
    private let alice = ClientIdentity(clientID: "alice-session-1", authenticationName: "alice")

    private func authorizer(_ permissions: [TopicPermission]?) -> TopicAuthorizer {
        TopicAuthorizer(permissions: permissions)
    }

    func testNilPermissionsAllowEverythingAndAnEmptyListNothing() {
        let open = authorizer(nil)
        XCTAssertTrue(open.allows(.publish, "any/topic", for: alice))
        XCTAssertTrue(open.allows(.subscribe, "#", for: alice))
        let closed = authorizer([])
        XCTAssertFalse(closed.allows(.publish, "any/topic", for: alice))
        XCTAssertFalse(closed.allows(.subscribe, "any/topic", for: alice))
    }

    func testAuthenticationNameAndClientIDAreSubstituted() {
        let a = authorizer([
            TopicPermission(topicTemplate: "devices/${client.authenticationName}/#", actions: [.publish]),
            TopicPermission(topicTemplate: "sessions/${client.clientId}/in", actions: [.subscribe]),
        ])
        XCTAssertTrue(a.allows(.publish, "devices/alice/sequence", for: alice))
        XCTAssertTrue(a.allows(.publish, "devices/alice", for: alice), "a/# covers its parent level")
        XCTAssertFalse(a.allows(.publish, "devices/bob/sequence", for: alice))
        XCTAssertFalse(a.allows(.subscribe, "devices/alice/sequence", for: alice), "publish grant only")
        XCTAssertTrue(a.allows(.subscribe, "sessions/alice-session-1/in", for: alice))
        XCTAssertFalse(a.allows(.subscribe, "sessions/alice/in", for: alice))
        XCTAssertFalse(a.allows(.publish, "sessions/alice-session-1/in", for: alice))
    }

    func testPlaceholderInsideALevelAndTwiceInATemplate() {
        let a = authorizer([TopicPermission(
            topicTemplate: "x/${client.authenticationName}-${client.clientId}/${client.authenticationName}",
            actions: [.publish])])
        XCTAssertTrue(a.allows(.publish, "x/alice-alice-session-1/alice", for: alice))
        XCTAssertFalse(a.allows(.publish, "x/alice-alice-session-1/bob", for: alice))
    }

    func testWildcardsOrSlashInASubstitutedNameGrantNothingThroughThatTemplate() {
        let a = authorizer([
            TopicPermission(topicTemplate: "devices/${client.authenticationName}/#", actions: [.publish, .subscribe]),
            TopicPermission(topicTemplate: "public/#", actions: [.publish]),
        ])
        for name in ["+", "#", "a/b", "ali+ce", "x#"] {
            let client = ClientIdentity(clientID: "c", authenticationName: name)
            XCTAssertFalse(a.allows(.publish, "devices/anyone/t", for: client), name)
            XCTAssertFalse(a.allows(.publish, "devices/a/b/t", for: client), name)
            XCTAssertFalse(a.allows(.subscribe, "devices/+/t", for: client), name)
            XCTAssertFalse(a.allows(.subscribe, "devices/#", for: client), name)
            XCTAssertTrue(a.allows(.publish, "public/x", for: client), "other grants still apply to \(name)")
        }
        let byClientID = authorizer([TopicPermission(topicTemplate: "s/${client.clientId}", actions: [.subscribe])])
        XCTAssertFalse(byClientID.allows(.subscribe, "s/+", for: ClientIdentity(clientID: "+", authenticationName: "ok")))
    }

    func testSubscribeNeedsContainmentNotOverlap() {
        let a = authorizer([TopicPermission(topicTemplate: "devices/a/#", actions: [.subscribe])])
        XCTAssertTrue(a.allows(.subscribe, "devices/a/+", for: alice))
        XCTAssertTrue(a.allows(.subscribe, "devices/a/#", for: alice))
        XCTAssertTrue(a.allows(.subscribe, "devices/a", for: alice))
        XCTAssertTrue(a.allows(.subscribe, "devices/a/x/+/y/#", for: alice))
        XCTAssertFalse(a.allows(.subscribe, "devices/+/x", for: alice), "overlaps, but devices/b/x is outside")
        XCTAssertFalse(a.allows(.subscribe, "devices/#", for: alice))
        XCTAssertFalse(a.allows(.subscribe, "#", for: alice))
        XCTAssertFalse(a.allows(.subscribe, "devices/ab/x", for: alice))
    }

    func testSharedSubscriptionIsJudgedByItsInnerFilter() {
        let a = authorizer([TopicPermission(topicTemplate: "devices/a/#", actions: [.subscribe])])
        XCTAssertTrue(a.allows(.subscribe, "$share/group/devices/a/+", for: alice))
        XCTAssertFalse(a.allows(.subscribe, "$share/group/devices/+/x", for: alice))
        XCTAssertFalse(a.allows(.subscribe, "$share/devices/a/#", for: alice), "share name devices, filter a/#")
    }

    func testIdentityGlobSelectsClients() {
        let a = authorizer([
            TopicPermission(topicTemplate: "cmd/#", actions: [.publish], identity: "commander-*"),
            TopicPermission(topicTemplate: "ops/#", actions: [.publish], identity: "*-ops-*"),
            TopicPermission(topicTemplate: "exact/#", actions: [.publish], identity: "alice"),
            TopicPermission(topicTemplate: "ends/#", actions: [.publish], identity: "x*x"),
        ])
        func name(_ n: String) -> ClientIdentity { ClientIdentity(clientID: "c", authenticationName: n) }
        XCTAssertTrue(a.allows(.publish, "cmd/x", for: name("commander-1")))
        XCTAssertTrue(a.allows(.publish, "cmd/x", for: name("commander-")))
        XCTAssertFalse(a.allows(.publish, "cmd/x", for: name("xcommander-1")))
        XCTAssertTrue(a.allows(.publish, "ops/x", for: name("eu-ops-7")))
        XCTAssertTrue(a.allows(.publish, "ops/x", for: name("-ops-")))
        XCTAssertFalse(a.allows(.publish, "ops/x", for: name("eu-ops")))
        XCTAssertFalse(a.allows(.publish, "ops/x", for: name("-ops")), "the middle must appear whole")
        XCTAssertTrue(a.allows(.publish, "exact/x", for: name("alice")))
        XCTAssertFalse(a.allows(.publish, "exact/x", for: name("alice2")))
        XCTAssertFalse(a.allows(.publish, "exact/x", for: name("commander-1")))
        XCTAssertTrue(a.allows(.publish, "ends/x", for: name("xx")))
        XCTAssertFalse(a.allows(.publish, "ends/x", for: name("x")), "prefix and suffix may not overlap")
    }

    func testDollarTopicsAreNotCoveredByAWildcardFirstLevel() {
        let a = authorizer([TopicPermission(topicTemplate: "#", actions: [.publish, .subscribe])])
        XCTAssertTrue(a.allows(.publish, "devices/x", for: alice))
        XCTAssertFalse(a.allows(.publish, "$SYS/x", for: alice))
        XCTAssertFalse(a.allows(.subscribe, "$SYS/#", for: alice))
        XCTAssertTrue(a.allows(.subscribe, "+/x", for: alice))
    }

    func testCachedGrantsAnswerLikeTheAuthorizer() {
        let a = authorizer([
            TopicPermission(topicTemplate: "devices/${client.authenticationName}/#", actions: [.publish, .subscribe]),
        ])
        let grants = a.grants(for: alice)
        XCTAssertEqual(grants.publishFilters, ["devices/alice/#"])
        XCTAssertEqual(grants.subscribeFilters, ["devices/alice/#"])
        for topic in ["devices/alice/x", "devices/bob/x", "devices/alice"] {
            XCTAssertEqual(grants.allows(.publish, topic), a.allows(.publish, topic, for: alice), topic)
        }
        XCTAssertNil(authorizer(nil).grants(for: alice).publishFilters)
    }
}

/// `TopicRules.filter(_:isWithin:)`, the containment the subscribe grant rests on.
final class AuthorizerContainmentTests: XCTestCase {
    func testContainment() {
        let cases: [(String, String, Bool)] = [
            ("a/b", "a/b", true), ("a/b", "a/c", false), ("a/b", "a/+", true), ("a/+", "a/b", false),
            ("a/+", "a/+", true), ("a/#", "a/+", false), ("a/+", "a/#", true), ("a", "a/#", true),
            ("a", "a/+", false), ("a/b/c", "a/+", false), ("a/b", "a/b/c", false), ("+/b", "+/#", true),
            ("#", "#", true), ("#", "+", false), ("+", "#", true), ("a/b", "#", true), ("a//b", "a/+/b", true),
            ("$SYS/x", "#", false), ("$SYS/x", "+/x", false), ("$SYS/x", "$SYS/#", true),
            ("$share/g/a/b", "a/#", true), ("$share/g", "#", false), ("a/b/#", "a/+/#", true),
            ("a/+/#", "a/b/#", false), ("#", "+/#", true), ("a/#", "a/+/#", false), ("+/#", "#", true),
        ]
        for (filter, outer, expected) in cases {
            XCTAssertEqual(TopicRules.filter(filter, isWithin: outer), expected, "\(filter) within \(outer)")
        }
    }

    /// Containment must agree with matching: if `inner` is within `outer`, every topic `inner` matches is
    /// matched by `outer`; if not, some sample topic tells them apart.
    func testContainmentAgreesWithMatchingOnSampleTopics() {
        let levels = ["a", "b", "$x"]
        var topics: [String] = []
        for l1 in levels {
            topics.append(l1)
            for l2 in ["a", "b"] {
                topics.append("\(l1)/\(l2)")
                for l3 in ["a", "b"] { topics.append("\(l1)/\(l2)/\(l3)") }
            }
        }
        let filters = ["a", "+", "#", "a/+", "a/#", "+/a", "+/+", "+/#", "a/a", "a/+/a", "+/+/+", "a/a/#", "$x/#", "$x/+", "+/+/#", "a/+/#"]
        for inner in filters {
            for outer in filters {
                let counterexample = topics.contains {
                    TopicRules.matches(filter: inner, topic: $0) && !TopicRules.matches(filter: outer, topic: $0)
                }
                if TopicRules.filter(inner, isWithin: outer) {
                    XCTAssertFalse(counterexample, "\(inner) within \(outer) but a topic escapes")
                } else {
                    XCTAssertTrue(counterexample, "\(inner) not within \(outer) yet no sample topic escapes")
                }
            }
        }
    }
}
