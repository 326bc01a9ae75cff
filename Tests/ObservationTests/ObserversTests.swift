import Foundation
import Ledger
import MQTTClient
import MQTTCore
import NIOCore
import NIOPosix
import Scenario
import Verification
import XCTest
@testable import Observation

/// Observers against the real test broker: counts must be exact, and wills must land in the ledger.
final class ObserversTests: XCTestCase {
    private let group = MultiThreadedEventLoopGroup.singleton

    private func plan(prefix: String, observerConnections: Int = 1) throws -> Plan {
        try ScenarioLoader.parse(yaml: """
            name: observers-test
            seed: 1
            broker: { url: "mqtt://127.0.0.1:1883" }
            observer: { connections: \(observerConnections), qos: 1 }
            groups:
              - name: sensors
                count: 3
                client-id: "\(prefix)-{index}"  # indices start at 1
                personality: nanoframework
                telemetry: { topic: "fleet/\(prefix)/{clientId}/sequence", every: 1s, qos: 1 }
                will: { topic: "fleet/\(prefix)/{clientId}/status", payload: offline, qos: 1 }
            timeline:
              - { at: 0s, ramp: { over: 0s } }
              - { at: 1s, stop: graceful }
            """, path: "observers-test.yaml")
    }

    private func publish(_ client: MQTTClient, topic: String, clientID: String, sequences: [Int]) async throws {
        for sequence in sequences {
            try await client.publish(MQTTMessage(
                topic: topic, payload: ByteBuffer(string: #"{"ClientID":"\#(clientID)","Sequence":\#(sequence)}"#),
                qos: .atLeastOnce))
        }
    }

    private func observe(prefix: String, connections: Int, body: (Plan) async throws -> Void) async throws -> (ObserverTotals, [RunEvent]) {
        let plan = try plan(prefix: prefix, observerConnections: connections)
        let ledger = RunEventCollector()
        let observers = try await Observers.start(
            plan: plan, roster: ObserverRoster(plan: plan), ledger: ledger, clock: RunClock(), group: group)
        try await body(plan)
        try await Task.sleep(for: .milliseconds(300))
        return (await observers.finish(), ledger.events)
    }

    func testCountsGapsDuplicatesAndWillsExactly() async throws {
        let prefix = TestIDs.unique("obs")
        let (totals, events) = try await observe(prefix: prefix, connections: 1) { _ in
            let endpoint = MQTTEndpoint(host: "127.0.0.1", port: 1883)
            let publisher = try await MQTTClient.connect(
                to: endpoint, configuration: MQTTConnectionConfiguration(clientIdentifier: "\(prefix)-publisher"))
            try await publish(publisher, topic: "fleet/\(prefix)/\(prefix)-1/sequence", clientID: "\(prefix)-1", sequences: [0, 1, 2, 4, 5])
            try await publish(publisher, topic: "fleet/\(prefix)/\(prefix)-2/sequence", clientID: "\(prefix)-2", sequences: [0, 1, 1, 2])
            await publisher.close(.graceful)
            let device = try await MQTTClient.connect(
                to: endpoint,
                configuration: MQTTConnectionConfiguration(
                    clientIdentifier: "\(prefix)-3",
                    will: Will(topic: "fleet/\(prefix)/\(prefix)-3/status", payload: ByteBuffer(string: "offline"), qos: .atLeastOnce)))
            await device.close(.abrupt)
        }
        XCTAssertEqual(totals.unknownTopic, 0)
        XCTAssertEqual(totals.unreadable, 0)
        let first = totals.trackers[0].counts(deviceSummary: (sent: 6, lastSequence: 5))
        XCTAssertEqual(first.unique, 5)
        XCTAssertEqual(first.lost, 1, "sequence 3 never arrived")
        let second = totals.trackers[1].counts()
        XCTAssertEqual(second.delivered, 4)
        XCTAssertEqual(second.duplicates, 1)
        XCTAssertEqual(second.lost, 0)
        let wills = events.filter { if case .willReceived = $0.kind { true } else { false } }
        XCTAssertEqual(wills.map(\.device), ["\(prefix)-3"])
    }

    func testSharedObserversCountEachMessageOnce() async throws {
        let prefix = TestIDs.unique("obs-shared")
        let (totals, _) = try await observe(prefix: prefix, connections: 3) { _ in
            let publisher = try await MQTTClient.connect(
                to: MQTTEndpoint(host: "127.0.0.1", port: 1883),
                configuration: MQTTConnectionConfiguration(clientIdentifier: "\(prefix)-publisher"))
            try await publish(publisher, topic: "fleet/\(prefix)/\(prefix)-1/sequence", clientID: "\(prefix)-1", sequences: Array(0..<60))
            await publisher.close(.graceful)
        }
        let counts = totals.trackers[0].counts(deviceSummary: (sent: 60, lastSequence: 59))
        XCTAssertEqual(counts.delivered, 60)
        XCTAssertEqual(counts.duplicates, 0)
        XCTAssertEqual(counts.lost, 0)
    }
}

enum TestIDs {
    static func unique(_ prefix: String) -> String { "\(prefix)-\(UUID().uuidString.prefix(6).lowercased())" }
}
