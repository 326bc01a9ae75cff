import Fleet
import LabBroker
import Scenario
import XCTest

/// `topic-aliases: true` makes MQTT 5 devices name their telemetry topic once and then by alias, within
/// what the broker's CONNACK allows; the lab broker counts the publishes that arrived by alias alone.
final class TopicAliasTests: XCTestCase {
    private func scenario(aliases: Bool) -> String {
        """
        name: fleet-it-topic-aliases
        seed: 9
        groups:
          - name: sensors
            count: 3
            client-id: "fleet-it-alias-{index}"
            personality: custom
            topic-aliases: \(aliases)
            telemetry: { topic: "fleet/it-alias/{clientId}/a/rather/long/telemetry/topic", every: 100ms, qos: 1 }
        timeline:
          - { at: 0s, ramp: { over: 0s } }
          - { at: 1s, stop: graceful }
        """
    }

    func testDevicesPublishByAliasAfterTheFirstMessageOfEachConnection() async throws {
        try await LabBrokerServer.withServer { lab in
            let outcome = try FleetIntegrationTests.run(broker: lab.listeners[0].url, scenario(aliases: true))
            let statistics = await lab.statistics()
            let sent = outcome.counts.reduce(0) { $0 + Int($1.sent) }
            XCTAssertGreaterThan(sent, 3)
            XCTAssertEqual(statistics.publishesReceived, sent)
            // One publish per device sets the alias (topic and alias); every later one carries the alias only.
            XCTAssertEqual(statistics.publishesByTopicAlias, sent - 3)
            XCTAssertEqual(outcome.counts.reduce(0) { $0 + Int($1.acked) }, sent)
        }
    }

    func testWithoutTheKeyNoAliasIsUsedEvenWhenTheBrokerOffersThem() async throws {
        try await LabBrokerServer.withServer { lab in
            let outcome = try FleetIntegrationTests.run(broker: lab.listeners[0].url, scenario(aliases: false))
            XCTAssertGreaterThan(outcome.counts.reduce(0) { $0 + $1.sent }, 0)
            let statistics = await lab.statistics()
            XCTAssertEqual(statistics.publishesByTopicAlias, 0)
        }
    }

    func testABrokerWithoutAliasesGetsFullTopics() async throws {
        var profile = BrokerProfile()
        profile.topicAliasMaximum = 0
        try await LabBrokerServer.withServer(profile: profile) { lab in
            let outcome = try FleetIntegrationTests.run(broker: lab.listeners[0].url, scenario(aliases: true))
            let sent = outcome.counts.reduce(0) { $0 + Int($1.sent) }
            let statistics = await lab.statistics()
            XCTAssertEqual(statistics.publishesReceived, sent)
            XCTAssertEqual(statistics.publishesByTopicAlias, 0)
        }
    }

    func testTopicAliasesNeedMQTT5() {
        let yaml = scenario(aliases: true).replacingOccurrences(of: "personality: custom", with: "personality: custom\n    protocol: 3.1.1")
        XCTAssertThrowsError(try ScenarioLoader.parse(yaml: yaml, path: "aliases.yaml")) { error in
            XCTAssertTrue("\(error)".contains("`topic-aliases` needs MQTT 5"), "\(error)")
        }
    }
}
