import Scenario
import XCTest

/// Which broker a plan aims at: the file's, `--broker`'s, or the embedded lab broker when neither names one.
final class BrokerTargetTests: XCTestCase {
    private static let body = """
        groups:
          - { name: g, count: 1, client-id: "d-{index}", personality: custom }
        timeline:
          - { at: 0s, ramp: { over: 1s } }
        """

    private func plan(broker: String?, options: ScenarioLoader.Options = .init()) throws -> Plan {
        let yaml = (broker.map { "broker: \($0)\n" } ?? "") + Self.body
        return try ScenarioLoader.parse(yaml: yaml, path: "test.yaml", options: options)
    }

    func testAScenarioWithoutABrokerRunsAgainstTheLabBroker() throws {
        let broker = try plan(broker: nil).broker
        XCTAssertEqual(broker.lab, "standard")
        XCTAssertEqual(broker.host, "127.0.0.1")
        XCTAssertFalse(broker.tls)
        XCTAssertNil(broker.profile)
    }

    func testLabProfilesOfCloudBrokersSpeakTLSAndBringTheirLimits() throws {
        let eventGrid = try plan(broker: "lab:eventgrid").broker
        XCTAssertEqual(eventGrid.lab, "eventgrid")
        XCTAssertTrue(eventGrid.tls)
        XCTAssertEqual(eventGrid.knownProfile, .azureEventGrid)
        let iotHub = try plan(broker: "{ url: \"lab:iothub\", protocol: \"3.1.1\" }").broker
        XCTAssertEqual(iotHub.knownProfile, .azureIoTHub)
        XCTAssertEqual(iotHub.protocolVersion, .v3_1_1)
    }

    func testTheLoaderChecksALabCloudProfileLikeTheBrokerItImitates() {
        // Event Grid refuses QoS 2; the lab's eventgrid profile makes the loader say so before anything runs.
        let yaml = """
            broker: lab:eventgrid
            groups:
              - name: g
                count: 1
                client-id: "d-{index}"
                personality: custom
                telemetry: { topic: "t/{clientId}", every: 1s, qos: 2 }
            timeline:
              - { at: 0s, ramp: { over: 1s } }
            """
        let errors = scenarioErrors(yaml)
        XCTAssertTrue(errors.contains { $0.problem.contains("QoS") }, "\(errors)")
    }

    func testExternalTLSSettingsAreRefusedOnTheLabBroker() {
        assertSingleError("broker: { url: lab, ca: root.pem }\n" + Self.body, line: 1, column: 21,
                          mentions: "does not apply to the lab broker")
    }

    func testBrokerOverrideReplacesTheFileURLAndKeepsDeviceSideSettings() throws {
        let file = "{ url: \"mqtts://broker.example:8883\", ca: root.pem, protocol: \"3.1.1\", connect-timeout: 3s }"
        let options = ScenarioLoader.Options(checkCertificateFiles: false, brokerOverride: "mqtt://127.0.0.1:1999")
        let broker = try plan(broker: file, options: options).broker
        XCTAssertEqual(broker.url, "mqtt://127.0.0.1:1999")
        XCTAssertEqual(broker.port, 1999)
        XCTAssertFalse(broker.tls)
        XCTAssertNil(broker.caFile, "the replaced broker's CA does not apply to a plain broker")
        XCTAssertEqual(broker.protocolVersion, .v3_1_1)
        XCTAssertEqual(broker.connectTimeout, .seconds(3))
    }

    func testBrokerOverrideToTheLabAndWithACA() throws {
        let lab = try plan(broker: "mqtt://127.0.0.1:1883", options: .init(brokerOverride: "lab:eventgrid")).broker
        XCTAssertEqual(lab.lab, "eventgrid")
        let tls = try plan(broker: nil, options: .init(brokerOverride: "mqtts://127.0.0.1:8883", brokerCA: "ca.pem")).broker
        XCTAssertEqual(tls.caFile, "ca.pem")
        XCTAssertNil(tls.lab)
    }

    func testABadOverrideIsReportedAgainstTheFlag() {
        let errors = scenarioErrors(Self.body, options: .init(brokerOverride: "http://x"))
        XCTAssertEqual(errors.count, 1)
        XCTAssertEqual(errors.first?.file, "--broker")
        XCTAssertTrue(errors.first?.problem.contains("unsupported scheme") == true)
        let ca = scenarioErrors(Self.body, options: .init(brokerOverride: "mqtt://127.0.0.1", brokerCA: "ca.pem"))
        XCTAssertEqual(ca.first?.file, "--broker-ca")
    }

    func testLabResolvesToTheAddressItListensOn() {
        let resolved = BrokerSpec.lab(profile: "eventgrid").resolvingLab(port: 41_000, caFile: "lab/root.pem")
        XCTAssertEqual(resolved.url, "mqtts://127.0.0.1:41000")
        XCTAssertEqual(resolved.caFile, "lab/root.pem")
        XCTAssertEqual(resolved.lab, "eventgrid", "a resolved spec still says it is the lab broker")
    }

    func testALabOverrideOnATLSFileKeepsTLS() throws {
        // The file's devices present certificates or expect a handshake: on the lab broker they still must.
        let tlsFile = "{ url: \"mqtts://127.0.0.1:8883\", ca: root.pem, protocol: \"3.1.1\" }"
        let lab = try plan(broker: tlsFile, options: .init(checkCertificateFiles: false, brokerOverride: "lab")).broker
        XCTAssertEqual(lab.lab, "standard")
        XCTAssertTrue(lab.tls)
        XCTAssertNil(lab.caFile, "the file's CA is the replaced broker's; the lab broker makes its own")
        XCTAssertEqual(lab.protocolVersion, .v3_1_1)
        XCTAssertEqual(lab.url, "lab:standard")
        let scalar = try plan(broker: "mqtts://127.0.0.1:8883", options: .init(brokerOverride: "lab:eventgrid")).broker
        XCTAssertTrue(scalar.tls)
        let plain = try plan(broker: "mqtt://127.0.0.1:1883", options: .init(brokerOverride: "lab")).broker
        XCTAssertFalse(plain.tls, "a plain file stays plain on the standard profile")
        let toExternal = try plan(broker: "{ url: lab, tls: true }", options: .init(brokerOverride: "mqtt://127.0.0.1:1999"))
        XCTAssertFalse(toExternal.broker.tls, "an external --broker's scheme decides")
    }

    func testTLSIsAKeyOfTheLabBrokerOnly() throws {
        XCTAssertTrue(try plan(broker: "{ url: lab, tls: true }").broker.tls)
        XCTAssertEqual(try plan(broker: "{ url: lab, tls: true }").broker.resolvingLab(port: 41_000, caFile: "ca.pem").url,
                       "mqtts://127.0.0.1:41000")
        XCTAssertFalse(try plan(broker: "{ url: \"lab:standard\", tls: false }").broker.tls)
        assertSingleError("broker: { url: \"mqtt://127.0.0.1:1883\", tls: true }\n" + Self.body, line: 1, column: 41,
                          mentions: "`tls` applies to the lab broker only", hint: "mqtts://")
        assertSingleError("broker: { url: \"lab:eventgrid\", tls: false }\n" + Self.body, line: 1, column: 38,
                          mentions: "accepts TLS only")
        assertSingleError("broker: { url: lab, tls: maybe }\n" + Self.body, line: 1, column: 26, mentions: "tls")
    }

    func testObserversFollowTheBrokerOverride() throws {
        let yaml = "broker: mqtt://127.0.0.1:1884\n" + Self.body + """

            observer:
              broker: { url: "mqtt://127.0.0.1:1883" }
            """
        let asWritten = try ScenarioLoader.parse(yaml: yaml, path: "test.yaml")
        XCTAssertEqual(asWritten.observer.broker?.port, 1883)
        let overridden = try ScenarioLoader.parse(yaml: yaml, path: "test.yaml", options: .init(brokerOverride: "lab"))
        XCTAssertNil(overridden.observer.broker, "the file's observer listener belongs to the replaced broker")
        XCTAssertEqual(overridden.broker.lab, "standard")
        let bad = "broker: mqtt://127.0.0.1:1884\n" + Self.body + "\nobserver:\n  broker: { url: \"http://x\" }\n"
        XCTAssertEqual(scenarioErrors(bad, options: .init(brokerOverride: "lab")).count, 1, "the file's value is still checked")
    }

    func testCheckLimitsFalseLetsAFileBreakItsBrokersLimitsOnPurpose() throws {
        let qos2 = """
            groups:
              - name: g
                count: 1
                client-id: "d-{index}"
                personality: custom
                protocol: "3.1.1"
                telemetry: { topic: "t/{clientId}", every: 1s, qos: 2, retain: true }
            timeline:
              - { at: 0s, ramp: { over: 1s } }
            """
        XCTAssertFalse(scenarioErrors("broker: lab:iothub\n" + qos2).isEmpty, "checked by default")
        let unchecked = try ScenarioLoader.parse(yaml: "broker: { url: \"lab:iothub\", check-limits: false }\n" + qos2,
                                                 path: "test.yaml")
        XCTAssertEqual(unchecked.broker.lab, "iothub", "still the IoT Hub profile: the broker enforces what the loader let through")
        XCTAssertTrue(unchecked.broker.tls)
        XCTAssertNil(unchecked.broker.knownProfile)
        XCTAssertEqual(unchecked.groups.first?.telemetry?.qos, 2)
        let overridden = try ScenarioLoader.parse(yaml: "broker: { url: \"lab:iothub\", check-limits: false }\n" + qos2,
                                                  path: "test.yaml", options: .init(brokerOverride: "lab:eventgrid"))
        XCTAssertEqual(overridden.broker.lab, "eventgrid")
        XCTAssertNil(overridden.broker.knownProfile, "the file breaks the replacing broker's limits on purpose too")
        XCTAssertEqual(try plan(broker: "{ url: \"lab:eventgrid\", check-limits: true }").broker.knownProfile, .azureEventGrid)
        assertSingleError("broker: { url: lab, check-limits: false }\n" + Self.body, line: 1, column: 35,
                          mentions: "no broker family with documented limits")
    }
}
