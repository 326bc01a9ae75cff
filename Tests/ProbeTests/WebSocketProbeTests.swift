import LabBroker
import MQTTClient
import MQTTCore
import NIOCore
import NIOHTTP1
import XCTest
@testable import Probe

/// `fleet probe` over ws:// and wss://: the HTTP upgrade as a step of its own with its time, and the
/// diagnoses of an upgrade that fails, against the lab broker's WebSocket listeners, amqtt's (the real
/// broker of Scripts/test-broker.sh) and small servers that answer as no broker at hand does.
final class WebSocketProbeTests: XCTestCase {
    private func options(_ url: String, version: MQTTProtocolVersion = .v5_0) throws -> ProbeOptions {
        var options = ProbeOptions(url: try BrokerURL(parsing: url), clientID: TestBroker.uniqueID("ws-probe"), version: version,
                                   willTimeout: .seconds(2), timeout: .seconds(3))
        options.tls = TLSSettings(caFiles: [TestBroker.file("root.pem")])
        return options
    }

    private func failure(_ report: ProbeReport, _ step: ProbeStep, file: StaticString = #filePath, line: UInt = #line) -> Diagnosis? {
        guard case .failed(let diagnosis) = report.result(of: step)?.outcome else {
            XCTFail("\(step) should have failed:\n\(report.rendered())", file: file, line: line)
            return nil
        }
        return diagnosis
    }

    /// Every step passes, the upgrade has its own time, and CONNECT's time is CONNECT's alone.
    private func assertUpgradedAndRoundTripped(_ options: ProbeOptions, file: StaticString = #filePath, line: UInt = #line) async {
        var options = options
        options.roundTripTopic = "probe/\(options.clientID)/echo"
        options.will = Will(topic: "probe/\(options.clientID)/status", payload: ByteBuffer(string: "offline"), qos: .atLeastOnce)
        let report = await Prober().run(options)
        XCTAssertTrue(report.succeeded, report.rendered(), file: file, line: line)
        XCTAssertEqual(report.steps.map(\.step), ProbeStep.allCases, file: file, line: line)
        let upgrade = report.result(of: .httpUpgrade)
        XCTAssertEqual(upgrade?.outcome, .passed("GET /mqtt: 101 Switching Protocols, subprotocol mqtt"), report.rendered(), file: file, line: line)
        XCTAssertNotNil(upgrade?.duration, report.rendered(), file: file, line: line)
        XCTAssertNotNil(report.result(of: .connect)?.duration, report.rendered(), file: file, line: line)
        XCTAssertTrue(report.rendered().contains("HTTP upgrade  GET /mqtt"), report.rendered(), file: file, line: line)
    }

    private var serverIdentity: TLSServerIdentity {
        TLSServerIdentity(certificateChainPath: TestBroker.file("server.pem"), privateKeyPath: TestBroker.file("server.key"))
    }

    // MARK: the lab broker

    func testLabBrokerWebSocketAndSecureWebSocketPassEveryStep() async throws {
        try await LabBrokerServer.withServer(listeners: [.webSocket(), .secureWebSocket(identity: serverIdentity)]) { server in
            for listener in server.listeners {
                await assertUpgradedAndRoundTripped(try options(listener.url.replacingOccurrences(of: "127.0.0.1", with: "localhost")))
            }
        }
    }

    func testAWrongPathNamesThePathTriedAndTheOneToUse() async throws {
        try await LabBrokerServer.withServer(listeners: [.webSocket()]) { server in
            let report = await Prober().run(try options("ws://127.0.0.1:\(server.listeners[0].port)/ws"))
            let diagnosis = failure(report, .httpUpgrade)
            XCTAssertEqual(diagnosis?.problem.contains("GET /ws"), true, report.rendered())
            XCTAssertEqual(diagnosis?.problem.contains("404"), true, report.rendered())
            XCTAssertEqual(diagnosis?.hint, "most brokers serve MQTT over WebSocket at /mqtt: ws://127.0.0.1:\(server.listeners[0].port)/mqtt")
            XCTAssertEqual(report.result(of: .connect)?.outcome, .skipped("an earlier step failed"))
        }
    }

    func testAnMQTTListenerProbedAsWebSocketClosesBeforeAnswering() async throws {
        try await LabBrokerServer.withServer(listeners: [.tcp()]) { server in
            let port = server.listeners[0].port
            let report = await Prober().run(try options("ws://127.0.0.1:\(port)"))
            let diagnosis = failure(report, .httpUpgrade)
            XCTAssertEqual(diagnosis?.problem.contains("closed the connection without answering GET /mqtt"), true, report.rendered())
            XCTAssertEqual(diagnosis?.hint.contains("try mqtt://127.0.0.1:\(port)"), true, report.rendered())
        }
    }

    func testMutualTLSUnderTheWebSocket() async throws {
        let listener = ListenerConfiguration.secureWebSocket(
            identity: serverIdentity, clientCertificates: .required(trustRoots: TestBroker.file("root.pem")))
        try await LabBrokerServer.withServer(listeners: [listener]) { server in
            let url = "wss://localhost:\(server.listeners[0].port)/mqtt"
            let anonymous = await Prober().run(try options(url))
            // Under TLS 1.3 the refusal arrives after the handshake: on the MQTT connection, before the upgrade's answer.
            XCTAssertEqual(failure(anonymous, .httpUpgrade).map { "\($0)" }?.contains("client certificate"), true, anonymous.rendered())
            XCTAssertEqual(anonymous.result(of: .connect)?.outcome, .skipped("an earlier step failed"))

            var device = try options(url)
            device.tls = TLSSettings(caFiles: [TestBroker.file("root.pem")], certificateChainFile: TestBroker.file("device-1.pem"),
                                     privateKeyFile: TestBroker.file("device-1.key"))
            device.clientID = "device-1"
            await assertUpgradedAndRoundTripped(device)
        }
    }

    // MARK: servers that are not MQTT brokers

    func testAWebSocketServerThatSelectsNoSubprotocolIsNotTakenForABroker() async throws {
        let server = try await OddWebSocketServer.start(.upgradeWithoutSubprotocol)
        let report = await Prober().run(try options("ws://127.0.0.1:\(server.port)/mqtt"))
        await server.stop()
        let diagnosis = failure(report, .httpUpgrade)
        XCTAssertEqual(diagnosis?.problem.contains("not as an MQTT broker"), true, report.rendered())
        XCTAssertEqual(diagnosis?.problem.contains("selected no subprotocol"), true, report.rendered())
        XCTAssertEqual(diagnosis?.hint.contains("another subprotocol"), true, report.rendered())
    }

    func testAGatewayAskingForCredentialsIsToldApartFromOneThatForbids() async throws {
        for (status, words) in [(HTTPResponseStatus.unauthorized, "wants credentials"), (.forbidden, "forbidden")] {
            let server = try await OddWebSocketServer.start(.status(status))
            let report = await Prober().run(try options("ws://127.0.0.1:\(server.port)/mqtt"))
            await server.stop()
            let diagnosis = failure(report, .httpUpgrade)
            XCTAssertEqual(diagnosis?.problem.contains(words), true, report.rendered())
            XCTAssertEqual(diagnosis?.problem.contains("gateway says \(status.code)"), true, report.rendered())
        }
    }

    // MARK: the real brokers of Scripts/test-broker.sh

    func testAmqttOverWebSocketAndSecureWebSocket() async throws {
        await assertUpgradedAndRoundTripped(try options("ws://127.0.0.1:\(TestBroker.amqttWebSocketPort)/mqtt", version: .v3_1_1))
        await assertUpgradedAndRoundTripped(try options("wss://localhost:\(TestBroker.amqttSecureWebSocketPort)/mqtt", version: .v3_1_1))
    }

    func testMosquittosMQTTPortProbedAsWebSocket() async throws {
        // mosquitto resets the connection on the GET rather than closing it: the same diagnosis.
        let report = await Prober().run(try options("ws://127.0.0.1:\(TestBroker.plainPort)"))
        XCTAssertEqual(failure(report, .httpUpgrade)?.hint.contains("try mqtt://127.0.0.1:\(TestBroker.plainPort)"), true, report.rendered())
    }

    func testMQTTURLAgainstATLSPortSuggestsMQTTS() async throws {
        let report = await Prober().run(try options("mqtt://127.0.0.1:\(TestBroker.tlsPort)"))
        let diagnosis = failure(report, .connect)
        XCTAssertEqual(diagnosis?.problem, "this port speaks TLS, and mqtt:// sent CONNECT in the clear")
        XCTAssertEqual(diagnosis?.hint, "use mqtts://127.0.0.1:\(TestBroker.tlsPort)")
    }

    func testMQTTURLAgainstAWebSocketPortSuggestsWS() async throws {
        let report = await Prober().run(try options("mqtt://127.0.0.1:\(TestBroker.amqttWebSocketPort)", version: .v3_1_1))
        let diagnosis = failure(report, .connect)
        XCTAssertEqual(diagnosis?.problem.contains("answers HTTP"), true, report.rendered())
        XCTAssertEqual(diagnosis?.hint.hasPrefix("use ws://127.0.0.1:\(TestBroker.amqttWebSocketPort)/mqtt"), true, report.rendered())
    }

    // MARK: the diagnoses by themselves

    private func explain(_ failure: MQTTWebSocketUpgradeFailure, _ url: String) throws -> Diagnosis {
        WebSocketDiagnosis.explain(failure, options: try options(url))
    }

    func testWrongPathHintsNameTheCloudBrokersPaths() throws {
        let notFound = MQTTWebSocketUpgradeFailure.refused(status: 404, reason: "Not Found", body: "")
        let hub = try explain(notFound, "wss://myhub.azure-devices.net/mqtt")
        XCTAssertEqual(hub.hint, "Azure IoT Hub serves MQTT over WebSocket at /$iothub/websocket: wss://myhub.azure-devices.net:443/$iothub/websocket")
        let grid = try explain(notFound, "wss://ns.westeurope-1.ts.eventgrid.azure.net/ws")
        XCTAssertEqual(grid.hint, "Azure Event Grid serves MQTT over WebSocket at /mqtt: wss://ns.westeurope-1.ts.eventgrid.azure.net:443/mqtt")
        let usual = try explain(notFound, "ws://broker.example:9001/mqtt")
        XCTAssertTrue(usual.hint.hasPrefix("/mqtt is the usual path"), usual.hint)
    }

    func testBadRequestSaysTheServerDoesNotTakeMQTTHere() throws {
        // amqtt's answer to a subprotocol it does not know.
        let refused = MQTTWebSocketUpgradeFailure.refused(
            status: 400, reason: "Bad Request", body: "Failed to open a WebSocket connection: invalid subprotocol; expected one of mqtt.")
        let diagnosis = try explain(refused, "ws://127.0.0.1:8080/mqtt")
        XCTAssertTrue(diagnosis.problem.hasPrefix("the server does not take MQTT over WebSocket here"), diagnosis.problem)
        XCTAssertTrue(diagnosis.problem.contains("invalid subprotocol"), diagnosis.problem)
        XCTAssertTrue(diagnosis.hint.contains("another subprotocol"), diagnosis.hint)
    }

    func testNotAWebSocketServerPointsAtTheOtherSchemes() throws {
        let invalid = try explain(.invalidAccept, "wss://broker.example:8883/mqtt")
        XCTAssertTrue(invalid.hint.contains("use mqtts://broker.example:8883"), invalid.hint)
        let malformed = try explain(.malformedResponse("invalid HTTP method"), "ws://broker.example:8883/mqtt")
        XCTAssertTrue(malformed.hint.contains("try wss://broker.example:8883/mqtt"), malformed.hint)
        XCTAssertTrue(malformed.hint.contains("try mqtt://broker.example:8883"), malformed.hint)
        let silent = try explain(.timedOut(milliseconds: 3000), "ws://broker.example:8883/mqtt")
        XCTAssertTrue(silent.problem.contains("within 3000 ms"), silent.problem)
        XCTAssertTrue(silent.hint.contains("try wss://"), silent.hint)
        let closed = try explain(.closedBeforeResponse, "wss://broker.example:8883/mqtt")
        XCTAssertTrue(closed.hint.contains("pass --cert and --key"), closed.hint)
        XCTAssertTrue(closed.hint.contains("try mqtts://broker.example:8883"), closed.hint)
    }

    func testAPlainURLSkipsTheUpgrade() async throws {
        let report = await Prober().run(try options("mqtt://127.0.0.1:\(TestBroker.plainPort)"))
        XCTAssertEqual(report.result(of: .httpUpgrade)?.outcome, .skipped("mqtt:// is MQTT without WebSocket"))
        XCTAssertTrue(report.succeeded, report.rendered())
    }
}
