import Fleet
import LabBroker
import Ledger
import NIOCore
import NIOPosix
import Scenario
import XCTest

/// Tiny scenarios against the real test mosquitto (Scripts/test-broker.sh, 127.0.0.1:1883), and the same
/// checks against the in-process lab broker: one body, two brokers, the same assertions.
final class FleetIntegrationTests: XCTestCase {
    struct Outcome {
        var plan: Plan
        var events: [RunEvent]
        var counts: [DeviceTelemetryCount]

        func events(of device: String) -> [RunEventKind] {
            events.filter { $0.device == device }.map(\.kind)
        }

        func faults(_ kind: FaultKind) -> [String] {
            events.compactMap { event in
                if case .faultInjected(let fault, _, _, _, _, _, _, _) = event.kind, fault == kind { return event.device }
                return nil
            }
        }

        /// The devices the step with `index` acts on, as the run resolved them.
        func selected(step index: Int) -> Set<String> {
            let devices = plan.devices()
            let step = plan.timeline[index]
            let target: Target = switch step.action {
            case .disconnect(let spec): spec.target
            case .duplicateClientID(let spec): spec.target
            case .throttle(let spec): spec.target
            case .publish(let spec): spec.target
            default: Target(selection: .all)
            }
            return Set(DeviceSelector(devices: devices, seed: plan.seed).select(target, step: index).map { devices[$0].clientID })
        }
    }

    /// Plays a scenario to its end in this process, collecting its events (shared with the TLS tests);
    /// `broker` replaces the file's broker URL, as `fleet run --broker` does.
    static func run(broker: String? = nil, certificateFaults: String? = nil, _ yaml: String) throws -> Outcome {
        let plan = try ScenarioLoader.parse(yaml: yaml, path: "integration.yaml", options: .init(brokerOverride: broker))
        let collector = RunEventCollector()
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        defer { try? group.syncShutdownGracefully() }
        let fleet = try Fleet(plan: plan, group: group, sink: collector, clock: RunClock(),
                              connections: .plan(plan, sources: SourceAddressPlan(addresses: []),
                                                   certificateFaults: certificateFaults))
        fleet.start()
        let mode = try fleet.timelineFinished.wait()
        try fleet.stop(mode ?? .graceful).wait()
        let counts = try fleet.telemetryCounts().wait()
        return Outcome(plan: plan, events: collector.events, counts: counts)
    }

    func testAbruptDisconnectOfTwoShowsTwoFaultsOnTheSeedSelectedDevicesWhichReconnect() throws { try checkAbruptDisconnectOfTwoShowsTwoFaultsOnTheSeedSelectedDevicesWhichReconnect(broker: nil) }

    func testAbruptDisconnectOfTwoShowsTwoFaultsOnTheSeedSelectedDevicesWhichReconnectOnLabBroker() async throws {
        try await LabBrokerServer.withServer { lab in try checkAbruptDisconnectOfTwoShowsTwoFaultsOnTheSeedSelectedDevicesWhichReconnect(broker: lab.listeners[0].url) }
    }

    private func checkAbruptDisconnectOfTwoShowsTwoFaultsOnTheSeedSelectedDevicesWhichReconnect(broker: String?) throws {
        let outcome = try Self.run(broker: broker, """
            name: fleet-it-abrupt
            seed: 5
            broker: { url: "mqtt://127.0.0.1:1883" }
            groups:
              - name: sensors
                count: 5
                client-id: "fleet-it-abrupt-{index}"
                personality: custom
                keepalive: 10s
                telemetry: { topic: "fleet/it-abrupt/{clientId}/sequence", every: 200ms, qos: 1 }
                will: { topic: "fleet/it-abrupt/{clientId}/status", payload: offline, qos: 1 }
            timeline:
              - { at: 0s, ramp: { over: 0s } }
              - { at: 1s, disconnect: { select: 2, mode: abrupt, reconnect: 500ms } }
              - { at: 3s, stop: graceful }
            """)
        let faulted = outcome.faults(.abrupt)
        XCTAssertEqual(faulted.count, 2)
        XCTAssertEqual(Set(faulted.compactMap { $0 }), outcome.selected(step: 1))
        for device in faulted.compactMap({ $0 }) {
            let kinds = outcome.events(of: device)
            XCTAssertTrue(kinds.contains(.disconnected(cause: .abrupt, detail: nil)), "\(device): \(kinds)")
            let connects = kinds.filter { if case .connected = $0 { true } else { false } }
            XCTAssertEqual(connects.count, 2, "\(device) reconnected once: \(kinds)")
        }
        XCTAssertEqual(outcome.counts.count, 5)
        for count in outcome.counts {
            XCTAssertGreaterThan(count.sent, 3, count.clientID)
            XCTAssertEqual(count.lastSequence.map { $0 + 1 }, count.sent, "\(count.clientID): sequence counts every message")
        }
    }

    func testDuplicateClientIDImpostorTakesTheSessionOverAgainAndAgain() throws { try checkDuplicateClientIDImpostorTakesTheSessionOverAgainAndAgain(broker: nil) }

    func testDuplicateClientIDImpostorTakesTheSessionOverAgainAndAgainOnLabBroker() async throws {
        try await LabBrokerServer.withServer { lab in try checkDuplicateClientIDImpostorTakesTheSessionOverAgainAndAgain(broker: lab.listeners[0].url) }
    }

    private func checkDuplicateClientIDImpostorTakesTheSessionOverAgainAndAgain(broker: String?) throws {
        let outcome = try Self.run(broker: broker, """
            name: fleet-it-duplicate
            seed: 8
            broker: { url: "mqtt://127.0.0.1:1883" }
            groups:
              - name: boards
                count: 3
                client-id: "fleet-it-dup-{index}"
                personality: custom
                protocol: 5
                retry: 300ms
                telemetry: { topic: "fleet/it-dup/{clientId}/sequence", every: 500ms, qos: 1 }
            timeline:
              - { at: 0s, ramp: { over: 0s } }
              - { at: 1s, duplicate-client-id: { select: 1, impostor-retries: forever, every: 300ms } }
              - { at: 4s, stop: graceful }
            """)
        let victims = outcome.faults(.impostorStarted).compactMap { $0 }
        XCTAssertEqual(Set(victims), outcome.selected(step: 1))
        XCTAssertEqual(victims.count, 1)
        let takeovers = outcome.events(of: victims[0]).filter {
            if case .disconnected(.takenOver, _) = $0 { true } else { false }
        }
        XCTAssertGreaterThanOrEqual(takeovers.count, 2, "ping-pong: \(outcome.events(of: victims[0]))")
        let bystanders = outcome.counts.map(\.clientID).filter { $0 != victims[0] }
        for bystander in bystanders {
            XCTAssertFalse(outcome.events(of: bystander).contains { if case .disconnected(.takenOver, _) = $0 { true } else { false } })
        }
    }

    func testStalledDevicesGetFewerMessagesAcknowledgedThanTheirNeighbours() throws { try checkStalledDevicesGetFewerMessagesAcknowledgedThanTheirNeighbours(broker: nil) }

    func testStalledDevicesGetFewerMessagesAcknowledgedThanTheirNeighboursOnLabBroker() async throws {
        try await LabBrokerServer.withServer { lab in try checkStalledDevicesGetFewerMessagesAcknowledgedThanTheirNeighbours(broker: lab.listeners[0].url) }
    }

    private func checkStalledDevicesGetFewerMessagesAcknowledgedThanTheirNeighbours(broker: String?) throws {
        let outcome = try Self.run(broker: broker, """
            name: fleet-it-throttle
            seed: 3
            broker: { url: "mqtt://127.0.0.1:1883" }
            groups:
              - name: cellular
                count: 4
                client-id: "fleet-it-throttle-{index}"
                personality: custom
                keepalive: 60s
                telemetry: { topic: "fleet/it-throttle/{clientId}/sequence", every: 100ms, qos: 1 }
            timeline:
              - { at: 0s, ramp: { over: 0s } }
              - { at: 1s, throttle: { select: 2, stall: true, for: 10s } }
              - { at: 3s, stop: graceful }
            """)
        let throttled = Set(outcome.faults(.throttled).compactMap { $0 })
        XCTAssertEqual(throttled, outcome.selected(step: 1))
        XCTAssertEqual(throttled.count, 2)
        let free = outcome.counts.filter { !throttled.contains($0.clientID) }
        let stalled = outcome.counts.filter { throttled.contains($0.clientID) }
        let leastAckedFree = try XCTUnwrap(free.map(\.acked).min())
        for device in stalled {
            XCTAssertLessThan(device.acked, device.sent, device.clientID)
            XCTAssertLessThan(device.acked + 10, leastAckedFree, "\(device.clientID) vs \(free)")
        }
    }
}

extension FleetIntegrationTests {
    func testPublishStepReachesTheSelectedDevicesConfigurationTopicsThroughTheController() throws { try checkPublishStepReachesTheSelectedDevicesConfigurationTopicsThroughTheController(broker: nil) }

    func testPublishStepReachesTheSelectedDevicesConfigurationTopicsThroughTheControllerOnLabBroker() async throws {
        try await LabBrokerServer.withServer { lab in try checkPublishStepReachesTheSelectedDevicesConfigurationTopicsThroughTheController(broker: lab.listeners[0].url) }
    }

    private func checkPublishStepReachesTheSelectedDevicesConfigurationTopicsThroughTheController(broker: String?) throws {
        let outcome = try Self.run(broker: broker, """
            name: fleet-it-publish
            seed: 12
            broker: { url: "mqtt://127.0.0.1:1883" }
            groups:
              - name: boards
                count: 4
                client-id: "fleet-it-publish-{index}"
                personality: custom
                subscribe: [ { filter: "fleet/it-publish/{clientId}/configuration", qos: 1 } ]
            timeline:
              - { at: 0s, ramp: { over: 0s } }
              - { at: 1s, publish: { select: 2, topic: "fleet/it-publish/{clientId}/configuration", payload: '{"interval":10}', qos: 1 } }
              - { at: 2s, stop: graceful }
            """)
        let targeted = Set(outcome.faults(.publish).compactMap { $0 })
        XCTAssertEqual(targeted.count, 2)
        XCTAssertEqual(targeted, outcome.selected(step: 1))
        for count in outcome.counts {
            XCTAssertEqual(count.received, targeted.contains(count.clientID) ? 1 : 0, count.clientID)
        }
        XCTAssertFalse(outcome.events.contains { ($0.device ?? "").hasPrefix("fleet-controller-") },
                       "the controller is not a device")
    }
}
