import DevicePKI
import Foundation
import MQTTClient
import MQTTCore
import NIOCore
import XCTest

/// MQTT over ws:// and wss:// against a real broker's WebSocket listeners: amqtt 0.12.1, started by
/// `Scripts/test-broker.sh` (Debian's mosquitto has no WebSockets). amqtt speaks MQTT 3.1.1 only, so
/// every client here does. Observers sit on amqtt's plain TCP listener, so each message crosses transports.
final class WebSocketIntegrationTests: XCTestCase {
    private var directory: URL!

    override func setUp() {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent(TestBroker.uniqueID("ws-pki"))
    }

    override func tearDown() {
        try? FileManager.default.removeItem(at: directory)
    }

    private func configuration(_ prefix: String, keepAlive: UInt16 = 60, will: Will? = nil) -> MQTTConnectionConfiguration {
        TestBroker.configuration(.v3_1_1, TestBroker.uniqueID(prefix), keepAlive: keepAlive, will: will)
    }

    private func tcpSubscriber(_ filter: String) async throws -> (MQTTClient, MessageCollector) {
        try await TestBroker.subscriber(filter, endpoint: TestBroker.amqttTCP, version: .v3_1_1)
    }

    /// Publishes at every QoS from `endpoint` to a TCP subscriber, then from a TCP publisher to a subscriber
    /// on `endpoint`; the 70 kB QoS 2 message spans many WebSocket reads, so frames and packets do not line up.
    private func roundTrip(_ endpoint: MQTTEndpoint, tls: TLSSettings?, _ label: String) async throws {
        let upstream = "fleet/ws/\(TestBroker.uniqueID("up"))"
        let (tcpObserver, fromWebSocket) = try await tcpSubscriber(upstream)
        let device = try await MQTTClient.connect(to: endpoint, tls: tls, configuration: configuration("ws-dev"))
        let timings = device.connectResult.timings
        XCTAssertNotNil(timings.webSocketUpgradeDuration, label)
        XCTAssertEqual(tls != nil, timings.tlsDuration != nil, label)
        XCTAssertEqual(device.connectResult.connAck.reasonCode, .success, label)

        let large = String(repeating: "w", count: 70_000)
        for (qos, payload) in [(QoS.atMostOnce, "qos-0"), (.atLeastOnce, "qos-1"), (.exactlyOnce, large)] {
            let code = try await device.publish(MQTTMessage(topic: upstream, payload: ByteBuffer(string: payload), qos: qos))
            XCTAssertFalse(code.isFailure, "\(label) QoS \(qos): \(code)")
        }
        let arrived = await fromWebSocket.wait(for: 3, on: upstream, seconds: 5)
        XCTAssertEqual(arrived.map(\.payload.readableBytes), [5, 5, 70_000], label)
        XCTAssertEqual(arrived.last?.payload.text, large, label)

        let downstream = "fleet/ws/\(TestBroker.uniqueID("down"))"
        let toWebSocket = MessageCollector(device)
        let granted = try await device.subscribe([Subscription(filter: downstream, qos: .exactlyOnce)])
        XCTAssertEqual(granted.count, 1, label)
        XCTAssertFalse(granted[0].isFailure, "\(label): \(granted[0])")
        let publisher = try await MQTTClient.connect(to: TestBroker.amqttTCP, configuration: configuration("tcp-pub"))
        for qos in QoS.allCases {
            _ = try await publisher.publish(MQTTMessage(topic: downstream, payload: ByteBuffer(string: "down-\(qos.rawValue)"), qos: qos))
        }
        // No check of the delivered QoS: amqtt 0.12.1 delivers at the subscription's QoS, not the lower of
        // it and the publish's (MQTT 3.1.1 §3.8.4), so all three arrive at QoS 2.
        let received = await toWebSocket.wait(for: 3, on: downstream, seconds: 5)
        XCTAssertEqual(received.map(\.payload.text), ["down-0", "down-1", "down-2"], label)

        let reason = await device.close(.graceful)
        XCTAssertEqual(reason, .ended(.graceful), label)
        await publisher.close(.graceful)
        await tcpObserver.close(.graceful)
    }

    func testRoundTripOverWebSocket() async throws {
        try await roundTrip(TestBroker.webSocket, tls: nil, "ws")
    }

    func testRoundTripOverSecureWebSocket() async throws {
        try await roundTrip(TestBroker.secureWebSocket, tls: TestBroker.serverTLSSettings, "wss")
    }

    func testRoundTripOverSecureWebSocketWithAClientCertificate() async throws {
        try await roundTrip(TestBroker.secureWebSocket, tls: TestBroker.device1TLSSettings, "wss + device-1")
    }

    /// amqtt verifies a client certificate it is sent (it asks for one without requiring it): one from a
    /// root it does not trust ends the connection, where the same device under the test root connects.
    func testAClientCertificateFromAnUntrustedRootIsRefused() async throws {
        let trusted = try await issueDevice(underRoot: "root")
        let device = try await MQTTClient.connect(to: TestBroker.secureWebSocket, tls: trusted, configuration: configuration("issued"))
        XCTAssertEqual(device.connectResult.connAck.reasonCode, .success)
        await device.close(.graceful)

        let foreign = try await issueDevice(underRoot: "foreign-root")
        do {
            let stranger = try await MQTTClient.connect(to: TestBroker.secureWebSocket, tls: foreign, configuration: configuration("foreign"))
            await stranger.close(.abrupt)
            XCTFail("amqtt accepted a client certificate from a root it does not trust")
        } catch MQTTClientError.tls(let failure) {
            // Python's asyncio aborts the socket on the failed verification (no alert): when the abort
            // overtakes the end of our handshake, TLS sees the close...
            XCTAssertEqual(failure.kind, .closedDuringHandshake, failure.detail)
        } catch MQTTClientError.webSocketUpgrade(let failure) {
            // ...else (TLS 1.3 lets our side finish first) the upgrade request meets the reset.
            XCTAssertEqual(failure, .closedBeforeResponse)
        }
    }

    /// Makes an intermediate under the test PKI's `root` and one device identity under it.
    private func issueDevice(underRoot root: String) async throws -> TLSSettings {
        var authority = CertificateAuthorityOptions(directory: directory.appendingPathComponent(root).path)
        authority.existingRoot = .init(certificatePath: TestBroker.pkiFile("\(root).pem"), keyPath: TestBroker.pkiFile("\(root).key"))
        _ = try CertificateAuthoritySetup.create(authority)
        let clientID = TestBroker.uniqueID("ws-device")
        _ = try await DeviceIdentityIssuer.issue(IssueRequest(directory: authority.directory, clientIDs: .list([clientID])))
        let identity = try DeviceIdentityStore(directory: authority.directory).identity(forClientID: clientID)
        return TLSSettings(
            caFiles: [TestBroker.pkiFile("root.pem")], certificateChainFile: identity.chainPath, privateKeyFile: identity.keyPath)
    }

    /// amqtt serves MQTT on every request path (websockets checks only the upgrade headers and the
    /// `mqtt` subprotocol), so a path such as IoT Hub's reaches it, `$` and all.
    func testAmqttServesAnyPath() async throws {
        var endpoint = TestBroker.webSocket
        endpoint.transport = .webSocket(MQTTWebSocketSettings(path: "/$iothub/websocket?iothub-no-client-cert=true"))
        let device = try await MQTTClient.connect(to: endpoint, configuration: configuration("path"))
        XCTAssertEqual(device.connectResult.connAck.reasonCode, .success)
        let reason = await device.close(.graceful)
        XCTAssertEqual(reason, .ended(.graceful))
    }

    /// amqtt reads "GET …" as the start of a packet whose length it then waits for, and never answers:
    /// the upgrade's own timeout ends the wait.
    func testAWebSocketClientOnTheTCPListenerTimesOutWaitingForTheUpgrade() async throws {
        var endpoint = TestBroker.amqttTCP
        endpoint.transport = .webSocket(MQTTWebSocketSettings(upgradeTimeout: .seconds(1)))
        do {
            let client = try await MQTTClient.connect(to: endpoint, configuration: configuration("confused"))
            await client.close(.abrupt)
            XCTFail("amqtt's MQTT listener accepted a WebSocket upgrade")
        } catch MQTTClientError.webSocketUpgrade(let failure) {
            XCTAssertEqual(failure, .timedOut(milliseconds: 1000))
        }
    }
}

/// The four endings over ws://, as amqtt's will tells them (MQTT 3.1.1): a will after abrupt, silent and
/// graceful-with-will (on 3.1.1 that is a close without DISCONNECT), none after graceful.
final class WebSocketIntegrationWillTests: XCTestCase {
    private func deviceWithWill(_ topic: String, keepAlive: UInt16 = 60) async throws -> (MQTTClient, MQTTClient, MessageCollector) {
        let (observer, collector) = try await TestBroker.subscriber(topic, endpoint: TestBroker.amqttTCP, version: .v3_1_1)
        let will = Will(topic: topic, payload: ByteBuffer(string: "offline"), qos: .atLeastOnce)
        let device = try await MQTTClient.connect(
            to: TestBroker.webSocket,
            configuration: TestBroker.configuration(.v3_1_1, TestBroker.uniqueID("ws-dev"), keepAlive: keepAlive, will: will))
        return (device, observer, collector)
    }

    /// On 3.1.1, graceful-with-will is a WebSocket close without DISCONNECT, abrupt a TCP reset: both wills.
    func testWillAfterAbruptCloseAndAfterGracefulWithWill() async throws {
        for ending in [MQTTEnding.abrupt, .gracefulWithWill] {
            let topic = "devices/\(TestBroker.uniqueID("ws-\(ending)"))/status"
            let (device, observer, collector) = try await deviceWithWill(topic)
            let reason = await device.close(ending)
            XCTAssertEqual(reason, .ended(ending))
            let wills = await collector.wait(on: topic, seconds: 5)
            XCTAssertEqual(wills.map(\.payload.text), ["offline"], "\(ending)")
            await observer.close(.graceful)
        }
    }

    /// After the graceful device, a control device ends abruptly: once its will is in, amqtt has handled
    /// the graceful close before it, so a will from that one would have come already.
    func testNoWillAfterGracefulDisconnect() async throws {
        let topic = "devices/\(TestBroker.uniqueID("ws-graceful"))/status"
        let (device, observer, collector) = try await deviceWithWill(topic)
        let reason = await device.close(.graceful)
        XCTAssertEqual(reason, .ended(.graceful))

        let controlTopic = "devices/\(TestBroker.uniqueID("ws-control"))/status"
        let (control, controlObserver, controlCollector) = try await deviceWithWill(controlTopic)
        await control.close(.abrupt)
        let controlWills = await controlCollector.wait(on: controlTopic, seconds: 5)
        XCTAssertEqual(controlWills.count, 1, "the control device's will did not arrive")

        XCTAssertEqual(collector.messages.filter { $0.topic == topic }.count, 0, "will published after a graceful DISCONNECT")
        await observer.close(.graceful)
        await controlObserver.close(.graceful)
    }

    /// amqtt 0.12.1 does not enforce MQTT keep-alive (its read timeout is a no-op), but the websockets
    /// library under its ws listener pings every 20 s and drops the connection 20 s after a ping goes
    /// unanswered: a will about 40 s after the device fell silent, whatever its keep-alive. So the will
    /// comes only if a silent device truly sends nothing, not even a pong.
    func testWillAfterSilenceOnceAmqttsWebSocketPingGoesUnanswered() async throws {
        let topic = "devices/\(TestBroker.uniqueID("ws-silent"))/status"
        let (device, observer, collector) = try await deviceWithWill(topic, keepAlive: 1)
        let (reason, wills) = await TestBroker.endSilently(device, willTopic: topic, collector: collector, seconds: 75)
        XCTAssertEqual(reason, .ended(.silent))
        XCTAssertEqual(wills.map(\.payload.text), ["offline"])
        await observer.close(.graceful)
    }
}
