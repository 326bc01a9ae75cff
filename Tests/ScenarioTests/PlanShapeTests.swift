import Scenario
import XCTest

/// Broker, timeline and expectations come out of the file as typed values.
final class PlanShapeTests: XCTestCase {
    func testFullScenario() throws {
        let plan = try loadPlan("""
            name: shape
            seed: 77
            broker:
              url: mqtts://broker.example:8883
              server-name: broker.example
              verify: no-hostname
              profile: mosquitto
              source-addresses: [127.0.0.2, 127.0.0.3]
              connect-timeout: 5s
            groups:
              - name: s
                count: 20
                client-id: "s-{index}"
                personality: nanoframework
                credentials: { certificates: Certs }
                telemetry: { topic: "devices/{clientId}/t", every: 500ms, qos: 1, message-expiry: 60s }
                will: { topic: "devices/{clientId}/status", delay: 5s, content-type: text/plain }
            timeline:
              - { at: 0s, ramp: { group: s, over: 10s } }
              - { after: 5s, disconnect: { select: 5%, mode: silent, reconnect: 30s } }
              - { at: 20s, duplicate-client-id: { select: 3, impostor-retries: forever } }
              - { at: 21s, duplicate-client-id: { select: 1, impostor-retries: 2, every: 500ms, for: 5s } }
              - { at: 22s, throttle: { select: 10%, bandwidth: 64kbit/s, latency: 400ms, jitter: 150ms, for: 1.5m } }
              - { at: 23s, throttle: { select: [s-1], stall: true, for: 10s } }
              - { at: 24s, burst: { select: all, count: 10, over: 1s } }
              - { at: 25s, publish: { topic: "devices/{clientId}/configuration", payload: "{}", qos: 1, retain: true } }
              - { at: 26s, cert-fault: { select: 1, kind: chainless } }
              - { at: 27s, wait: 1h }
              - { stop: abrupt }
            expect:
              wills: { abrupt: delivered, silent: delivered, graceful: none, takeover: ignore, deadline-grace: 3s }
              telemetry: { max-loss: 0, max-duplicates: 2, max-out-of-order: 1 }
              latency:
                end-to-end: { p99: 250ms, p99.9: 1s }
                connack: { p50: 20ms }
              connected-at-end: { percent: 95% }
              connect: accepted
              subscribe: granted
              retained-status: true
            observer: { connections: 2, qos: 0, shared: true, filters: ["devices/#"] }
            """, options: ScenarioLoader.Options(checkCertificateFiles: false))
        XCTAssertEqual(plan.name, "shape")
        XCTAssertEqual(plan.seed, 77)
        XCTAssertEqual(plan.broker.host, "broker.example")
        XCTAssertEqual(plan.broker.port, 8883)
        XCTAssertTrue(plan.broker.tls)
        XCTAssertEqual(plan.broker.verification, .noHostname)
        XCTAssertEqual(plan.broker.knownProfile, .mosquitto)
        XCTAssertEqual(plan.broker.sourceAddresses, ["127.0.0.2", "127.0.0.3"])
        XCTAssertEqual(plan.broker.connectTimeout, .seconds(5))
        XCTAssertEqual(plan.groups[0].telemetry?.every, .milliseconds(500))
        XCTAssertEqual(plan.groups[0].telemetry?.messageExpiry, .seconds(60))
        XCTAssertEqual(plan.groups[0].will?.delay, .seconds(5))
        XCTAssertEqual(plan.groups[0].credentials, .certificates(directory: "Certs"))

        XCTAssertEqual(plan.timeline.map(\.at), [0, 5, 20, 21, 22, 23, 24, 25, 26, 27, 3627].map { Duration.seconds($0) })
        XCTAssertEqual(plan.duration, .seconds(3627))
        XCTAssertEqual(plan.timeline[0].action, .ramp(RampSpec(target: Target(selection: .group("s")), over: .seconds(10))))
        XCTAssertEqual(plan.timeline[1].action, .disconnect(DisconnectSpec(
            target: Target(selection: .percent(5)), mode: .silent, reconnect: .after(.seconds(30)))))
        XCTAssertEqual(plan.timeline[2].action, .duplicateClientID(DuplicateSpec(
            target: Target(selection: .count(3)), impostorRetries: nil, every: .seconds(1), for: nil)))
        XCTAssertEqual(plan.timeline[3].action, .duplicateClientID(DuplicateSpec(
            target: Target(selection: .count(1)), impostorRetries: 2, every: .milliseconds(500), for: .seconds(5))))
        XCTAssertEqual(plan.timeline[4].action, .throttle(ThrottleSpec(
            target: Target(selection: .percent(10)), bandwidthBitsPerSecond: 64_000, latency: .milliseconds(400),
            jitter: .milliseconds(150), stall: false, for: .seconds(90))))
        XCTAssertEqual(plan.timeline[5].action, .throttle(ThrottleSpec(
            target: Target(selection: .ids(["s-1"])), bandwidthBitsPerSecond: nil, latency: .zero, jitter: .zero,
            stall: true, for: .seconds(10))))
        XCTAssertEqual(plan.timeline[6].action, .burst(BurstSpec(target: Target(selection: .all), count: 10, over: .seconds(1))))
        guard case .publish(let publish) = plan.timeline[7].action else { return XCTFail("expected a publish") }
        XCTAssertEqual(publish.topic.description, "devices/{clientId}/configuration")
        XCTAssertEqual(publish.payload.text, "{}")
        XCTAssertTrue(publish.retain)
        XCTAssertEqual(plan.timeline[8].action, .certFault(CertFaultSpec(target: Target(selection: .count(1)), kind: .noIntermediate)))
        XCTAssertEqual(plan.timeline[9].action, .wait(.seconds(3600)))
        XCTAssertEqual(plan.timeline[10].action, .stop(.abrupt))
        XCTAssertEqual(plan.timeline[4].location.line, 23)

        XCTAssertEqual(plan.expectations.wills?.deadlineGrace, .seconds(3))
        XCTAssertEqual(plan.expectations.wills?.silentDetectionFactor, 1.5)
        XCTAssertEqual(plan.expectations.telemetry, TelemetryExpectations(maxLoss: 0, maxDuplicates: 2, maxOutOfOrder: 1))
        XCTAssertEqual(Set(plan.expectations.latency), [
            LatencyExpectation(phase: .endToEnd, percentile: 99, max: .milliseconds(250)),
            LatencyExpectation(phase: .endToEnd, percentile: 99.9, max: .seconds(1)),
            LatencyExpectation(phase: .connack, percentile: 50, max: .milliseconds(20)),
        ])
        XCTAssertEqual(plan.expectations.connectedAtEnd, .percent(95))
        XCTAssertEqual(plan.expectations.connect, .accepted)
        XCTAssertEqual(plan.expectations.subscribe, .granted)
        XCTAssertTrue(plan.expectations.retainedStatusMatches)
        XCTAssertEqual(plan.observer, ObserverSpec(connections: 2, qos: 0, sharedSubscription: true, filters: ["devices/#"]))
    }

    func testTelemetryUserPropertiesKeepFileOrderAndBindPerDevice() throws {
        let plan = try loadPlan(scenario(group: [
            #"telemetry: { topic: "t/{clientId}", every: 1s, user-properties: { sent-at: "{timestamp}", device: "{clientId}", site: plant-7 } }"#,
        ], personality: "nanoframework"))
        let properties = try XCTUnwrap(plan.devices().last?.telemetry?.userProperties)
        XCTAssertEqual(properties.map(\.name), ["sent-at", "device", "site"])
        XCTAssertEqual(properties.map(\.value.description), ["{timestamp}", "test-10", "plant-7"])
        XCTAssertEqual(UserPropertySpec.carrying(.timestamp, in: properties), "sent-at")
        XCTAssertNil(UserPropertySpec.carrying(.sequence, in: properties))
    }

    func testObserverClientCertificate() throws {
        let yaml = scenario(
            brokerURL: "mqtts://127.0.0.1:8883",
            observerCredentials: "{ certificate: Certs/devices/observer/chain.pem, key: Certs/devices/observer/key.pem }")
        let plan = try loadPlan(yaml, options: ScenarioLoader.Options(baseDirectory: "/base", checkCertificateFiles: false))
        XCTAssertEqual(plan.observer.identity, DeviceIdentityFiles(chain: "/base/Certs/devices/observer/chain.pem",
                                                                   key: "/base/Certs/devices/observer/key.pem"))
        XCTAssertEqual(plan.observer.credentials, .none)
    }

    func testResponseRulesAreBoundPerDeviceAndOverlapTheirSubscriptions() throws {
        let plan = try loadPlan(scenario(group: [
            #"subscribe: ["devices/{clientId}/#", "fleet/{group}/ota"]"#,
            "respond:",
            #"  - { filter: "devices/{clientId}/commands/+", topic: "devices/{clientId}/replies", payload: '{"seq":{sequence}}', qos: 1, after: 50ms }"#,
            #"  - { filter: "fleet/+/ota", topic: "fleet/{group}/ota/{clientId}" }"#,
        ], personality: "nanoframework"))
        let rules = try XCTUnwrap(plan.devices().first?.respond)
        XCTAssertEqual(rules.map(\.filter), ["devices/test-01/commands/+", "fleet/+/ota"])
        XCTAssertEqual(rules.map(\.topic), ["devices/test-01/replies", "fleet/sensors/ota/test-01"])
        XCTAssertEqual(rules[0].payload.description, #"{"seq":{sequence}}"#)
        XCTAssertEqual(rules.map(\.qos), [1, 0])
        XCTAssertEqual(rules.map(\.after), [.milliseconds(50), .zero])
        XCTAssertTrue(plan.observer.filters.contains("devices/+/replies"), "observers watch the replies: \(plan.observer.filters)")
    }

    func testInsecureSkipVerifyByName() throws {
        let yaml = scenario().replacingOccurrences(of: "  url: mqtt://127.0.0.1:1883",
                                                   with: "  url: mqtts://127.0.0.1:8884\n  insecure-skip-verify: true")
        XCTAssertEqual(try loadPlan(yaml).broker.verification, .none)
    }

    func testDefaultPortsAndIPv6() throws {
        let plain = scenario().replacingOccurrences(of: "mqtt://127.0.0.1:1883", with: "mqtt://localhost")
        XCTAssertEqual(try loadPlan(plain).broker.port, 1883)
        let tls = scenario().replacingOccurrences(of: "mqtt://127.0.0.1:1883", with: "mqtts://[::1]")
        let broker = try loadPlan(tls).broker
        XCTAssertEqual(broker.host, "::1")
        XCTAssertEqual(broker.port, 8883)
    }

    func testNameDefaultsToTheFileName() throws {
        let yaml = scenario().replacingOccurrences(of: "name: test\n", with: "")
        let plan = try ScenarioLoader.parse(yaml: yaml, path: "Scenarios/my-run.yaml")
        XCTAssertEqual(plan.name, "my-run")
        XCTAssertEqual(plan.sourcePath, "Scenarios/my-run.yaml")
    }
}
