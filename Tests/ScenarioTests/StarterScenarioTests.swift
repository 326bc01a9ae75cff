import Foundation
import Scenario
import XCTest

/// `fleet init`'s starter file: every variant loads cleanly, satisfies the schema, and says what it was asked.
final class StarterScenarioTests: XCTestCase {
    private func load(_ starter: StarterScenario, file: StaticString = #filePath, line: UInt = #line) throws -> Plan {
        do {
            // The certificate folder is made by `fleet init` after the text; the end-to-end test runs both.
            return try ScenarioLoader.parse(yaml: starter.yaml, path: "starter.yaml", options: .init(checkCertificateFiles: false))
        } catch {
            XCTFail("the starter scenario does not load:\n\(error)\n\(starter.yaml)", file: file, line: line)
            throw error
        }
    }

    func testEveryBrokerAndSizeLoadsWithTheDevicesAndBrokerAsked() throws {
        let cases: [(broker: String, devices: Int, tls: Bool)] = [
            ("lab", 10, false), ("lab", 1, true), ("mqtt://127.0.0.1:1883", 20, false),
            ("mqtts://broker.example:8883", 250, true), ("mqtts://broker.example", 3, false),
            ("wss://broker.example/mqtt", 1000, true), ("ws://127.0.0.1:8080/mqtt", 5, false),
            ("lab:Scenarios/profiles/constrained.yaml", 2, false),
        ]
        for (broker, devices, tls) in cases {
            let starter = try StarterScenario(broker: broker, devices: devices, tls: tls, name: "plant-7",
                                              certificates: "plant-7/certs")
            let plan = try load(starter)
            XCTAssertEqual(plan.name, "plant-7")
            XCTAssertEqual(plan.deviceCount, devices, broker)
            XCTAssertEqual(plan.broker.tls, tls || broker.hasPrefix("mqtts") || broker.hasPrefix("wss"), broker)
            XCTAssertEqual(plan.broker.lab != nil, broker.hasPrefix("lab"), broker)
            let first = try XCTUnwrap(plan.devices().first)
            XCTAssertTrue(first.clientID.hasPrefix("plant-7-"), first.clientID)
            if tls {
                guard case .certificate(let files, _) = first.credentials else {
                    return XCTFail("\(broker): expected certificate credentials, got \(first.credentials)")
                }
                XCTAssertEqual(files.chain, "plant-7/certs/devices/\(first.clientID)/chain.pem")
                XCTAssertEqual(plan.observer.identity?.key, "plant-7/certs/devices/\(StarterScenario.observerClientID)/key.pem")
            } else {
                XCTAssertNil(plan.observer.identity, broker)
            }
        }
    }

    func testTheTimelineCutsSomeDevicesAndTheyMustAllBeBackByTheStop() throws {
        for devices in [1, 9, 10, 20, 5000] {
            let plan = try load(try StarterScenario(devices: devices, name: "f", certificates: "f/certs"))
            let cuts = plan.timeline.filter { if case .disconnect = $0.action { true } else { false } }
            XCTAssertEqual(cuts.count, 1)
            XCTAssertEqual(plan.expectations.connectedAtEnd, .exactly(devices), "\(devices)")
            // A ramp paces connects at about 200 a second, so the cut always comes after everyone is up.
            let ramp = try XCTUnwrap(plan.timeline.first { if case .ramp = $0.action { true } else { false } })
            guard case .ramp(let spec) = ramp.action else { return XCTFail() }
            XCTAssertGreaterThanOrEqual(Double(spec.over.components.seconds), Double(devices) / 200, "\(devices)")
        }
    }

    func testTheFileIsCommentedAndSatisfiesTheSchema() throws {
        let starter = try StarterScenario(broker: "mqtts://broker.example:8883", devices: 20, tls: true, name: "plant-7",
                                          certificates: "plant-7/certs")
        XCTAssertTrue(starter.yaml.contains("# The broker must trust plant-7/certs/root.pem"), starter.yaml)
        XCTAssertTrue(starter.yaml.contains("Scenarios/README.md"))
        let path = NSTemporaryDirectory() + "starter-\(UUID().uuidString).yaml"
        try starter.yaml.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let result = try SchemaValidation.validate([path])
        XCTAssertEqual(result.status, 0, result.output)
    }

    func testRequestsThatWouldNotPlayAreRefusedWithTheReason() {
        let refusals: [(broker: String, devices: Int, tls: Bool, says: String)] = [
            ("mqtt://127.0.0.1:1883", 10, true, "mqtts://127.0.0.1:PORT"),
            ("ws://127.0.0.1:8080", 10, true, "wss://"),
            ("lab", 0, false, "--devices must be from 1 to 100000"),
            ("lab:eventgrid", 10, true, "Scenarios/eventgrid-takeover-refused.yaml"),
            ("lab:iothub", 10, false, "fleet certs scenario"),
            ("tcp://broker:1883", 10, false, "unsupported scheme"),
        ]
        for (broker, devices, tls, says) in refusals {
            XCTAssertThrowsError(try StarterScenario(broker: broker, devices: devices, tls: tls, name: "f", certificates: "f/c")) {
                XCTAssertTrue("\($0)".contains(says), "\(broker): `\($0)` should say `\(says)`")
            }
        }
    }
}
