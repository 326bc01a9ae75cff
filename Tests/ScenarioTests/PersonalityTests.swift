import Scenario
import XCTest

/// Personalities set defaults as their libraries do; a group overrides any of them.
final class PersonalityTests: XCTestCase {
    private func group(_ personality: String, _ extras: [String] = []) throws -> DeviceGroupPlan {
        let plan = try loadPlan(scenario(group: extras, personality: personality))
        return try XCTUnwrap(plan.groups.first)
    }

    func testPubSubClientDefaults() throws {
        let group = try group("pubsubclient", ["telemetry: { topic: \"devices/{clientId}/t\", every: 1s }"])
        XCTAssertEqual(group.protocolVersion, .v3_1_1)
        XCTAssertEqual(group.keepAlive, .seconds(15))
        XCTAssertEqual(group.maxPacketSize, 256)
        XCTAssertEqual(group.retry, RetryPolicy(backoff: .fixed(.seconds(5))))
        XCTAssertEqual(group.telemetry?.qos, 0)
        XCTAssertNil(group.telemetry?.contentType)
    }

    func testEspMqttDefaults() throws {
        let group = try group("esp-mqtt")
        XCTAssertEqual(group.protocolVersion, .v3_1_1)
        XCTAssertEqual(group.keepAlive, .seconds(120))
        XCTAssertEqual(group.maxPacketSize, 1024)
        XCTAssertEqual(group.retry, RetryPolicy(backoff: .fixed(.seconds(10))))
    }

    func testNanoFrameworkDefaults() throws {
        let group = try group("nanoframework", ["telemetry: { topic: \"devices/{clientId}/t\", every: 1s }"])
        XCTAssertEqual(group.protocolVersion, .v5)
        XCTAssertEqual(group.retry, RetryPolicy(backoff: .fixed(.seconds(1))))
        XCTAssertEqual(group.telemetry?.contentType, "application/json; charset=utf-8")
        XCTAssertEqual(group.telemetry?.qos, 1)
    }

    func testCustomIsTheDefaultPersonality() throws {
        let plan = try loadPlan(scenario())
        XCTAssertEqual(plan.groups.first?.personality, .custom)
        XCTAssertEqual(plan.groups.first?.protocolVersion, .v5)
        guard case .exponential? = plan.groups.first?.retry.backoff else {
            return XCTFail("custom devices back off exponentially")
        }
    }

    func testGroupOverridesDefaults() throws {
        let group = try group("esp-mqtt", [
            "protocol: 5", "keepalive: 30s", "retry: { backoff: exponential, initial: 500ms, max: 8s, jitter: 0.1, max-attempts: 4 }",
            "max-packet-size: 4096", "clean-start: false", "session-expiry: 1h",
        ])
        XCTAssertEqual(group.protocolVersion, .v5)
        XCTAssertEqual(group.keepAlive, .seconds(30))
        XCTAssertEqual(group.maxPacketSize, 4096)
        XCTAssertFalse(group.cleanStart)
        XCTAssertEqual(group.sessionExpiry, .seconds(3600))
        XCTAssertEqual(group.retry, RetryPolicy(
            backoff: .exponential(initial: .milliseconds(500), multiplier: 2, max: .seconds(8), jitter: 0.1), maxAttempts: 4))
    }

    func testRetryShorthands() throws {
        XCTAssertEqual(try group("custom", ["retry: immediate"]).retry.backoff, .immediate)
        XCTAssertEqual(try group("custom", ["retry: never"]).retry.backoff, .never)
        XCTAssertEqual(try group("custom", ["retry: 2s"]).retry.backoff, .fixed(.seconds(2)))
    }

    func testRetryDelays() {
        let policy = RetryPolicy(backoff: .exponential(initial: .seconds(1), multiplier: 2, max: .seconds(10), jitter: 0.5),
                                 maxAttempts: 5)
        XCTAssertEqual(policy.delay(beforeRetry: 1, unitRandom: 0.5), .seconds(1), "mid-range sample ⇒ no jitter")
        XCTAssertEqual(policy.delay(beforeRetry: 3, unitRandom: 0.5), .seconds(4))
        XCTAssertEqual(policy.delay(beforeRetry: 5, unitRandom: 0.5), .seconds(10), "capped at max")
        XCTAssertEqual(policy.delay(beforeRetry: 3, unitRandom: 0), .seconds(2), "jitter spreads by ±50%")
        XCTAssertFalse(policy.givesUp(afterFailedAttempts: 4))
        XCTAssertTrue(policy.givesUp(afterFailedAttempts: 5), "max-attempts: 5 is five attempts in all")
        XCTAssertFalse(RetryPolicy(backoff: .immediate).givesUp(afterFailedAttempts: 1_000), "no max-attempts: for ever")
        XCTAssertNil(RetryPolicy(backoff: .never).delay(beforeRetry: 1, unitRandom: 0))
        XCTAssertEqual(RetryPolicy(backoff: .immediate).delay(beforeRetry: 9, unitRandom: 0), .zero)
    }

    func testBrokerProtocolDefaultAppliesWhereThePersonalityAllows() throws {
        let yaml = scenario(personality: "esp-mqtt")
            .replacingOccurrences(of: "  url: mqtt://127.0.0.1:1883", with: "  url: mqtt://127.0.0.1:1883\n  protocol: 5")
        XCTAssertEqual(try loadPlan(yaml).groups.first?.protocolVersion, .v5)
        let pubsub = scenario(personality: "pubsubclient")
            .replacingOccurrences(of: "  url: mqtt://127.0.0.1:1883", with: "  url: mqtt://127.0.0.1:1883\n  protocol: 5")
        XCTAssertEqual(try loadPlan(pubsub).groups.first?.protocolVersion, .v3_1_1,
                       "a broker-wide default does not force MQTT 5 on a library that cannot speak it")
    }
}
