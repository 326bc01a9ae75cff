import Fleet
import LabBroker
import Ledger
import NIOPosix
import Scenario
import XCTest

/// `faults injected` counts what the timeline did to devices; bursts and controller publishes are traffic, apart.
final class FaultCounterTests: XCTestCase {
    func testBurstsAndPublishesAreTrafficNotFaults() async throws {
        try await LabBrokerServer.withServer { lab in
            let plan = try ScenarioLoader.parse(yaml: """
                name: fault-counter
                seed: 3
                broker: { url: "mqtt://127.0.0.1:1883" }
                groups:
                  - name: sensors
                    count: 4
                    client-id: "fault-counter-{index}"
                    personality: custom
                    telemetry: { topic: "fleet/fault-counter/{clientId}/sequence", every: 1s, qos: 1 }
                    subscribe: ["fleet/fault-counter/{clientId}/command"]
                timeline:
                  - { at: 0s, ramp: { over: 0s } }
                  - { at: 500ms, burst: { select: 3, count: 5 } }
                  - { at: 600ms, publish: { select: all, topic: "fleet/fault-counter/{clientId}/command", payload: go } }
                  - { at: 700ms, disconnect: { select: 2, mode: abrupt, reconnect: never } }
                  - { at: 1s, stop: graceful }
                """, path: "fault-counter.yaml", options: .init(brokerOverride: lab.listeners[0].url))
            let fleet = try Fleet(plan: plan, group: MultiThreadedEventLoopGroup.singleton, sink: RunEventCollector(),
                                  clock: RunClock(), connections: .plan(plan, sources: SourceAddressPlan(addresses: [])))
            fleet.start()
            let mode = try await fleet.timelineFinished.get()
            try await fleet.stop(mode ?? .graceful).get()
            let counters = try await fleet.counters().get()
            XCTAssertEqual(counters.faults, 2, "the two abrupt disconnects")
            XCTAssertEqual(counters.traffic, 3 + 4, "three devices' bursts and a command to each of four")
        }
    }
}
