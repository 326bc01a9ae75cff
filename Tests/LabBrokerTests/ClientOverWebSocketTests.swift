import LabBroker
import MQTTClient
import MQTTCore
import NIOCore
import XCTest

/// `MQTTClient` over ws:// and wss:// against the lab broker's WebSocket listeners: the upgrade and its
/// refusals as typed errors, MQTT round trips beside a TCP client, mutual TLS under the WebSocket, and the
/// four endings as the broker's will tells them.
final class ClientOverWebSocketTests: XCTestCase {
    private func webSocketEndpoint(_ server: LabBrokerServer, _ transport: ConnectionFacts.Transport = .webSocket,
                                   path: String = "/mqtt") throws -> MQTTEndpoint {
        var endpoint = try server.endpoint(transport)
        endpoint.transport = .webSocket(MQTTWebSocketSettings(path: path))
        return endpoint
    }

    func testRoundTripBesideATCPClientWithTheUpgradeTimed() async throws {
        let server = try await startServer(self, listeners: [.webSocket(), .tcp()])
        let device = try await MQTTClient.connect(to: try webSocketEndpoint(server), configuration: configuration("ws-device"))
        let timings = device.connectResult.timings
        XCTAssertNotNil(timings.webSocketUpgradeDuration)
        XCTAssertNotNil(timings.connAckDuration)
        let toDevice = inbox(of: device)
        let granted = try await device.subscribe([Subscription(filter: "to/ws", qos: .atLeastOnce)])
        XCTAssertEqual(granted, [.grantedQoS1])

        let tcpPeer = try await MQTTClient.connect(to: try server.endpoint(.tcp), configuration: configuration("tcp-peer"))
        let toPeer = inbox(of: tcpPeer)
        _ = try await tcpPeer.subscribe([Subscription(filter: "from/ws", qos: .exactlyOnce)])
        try await tcpPeer.publish(MQTTMessage(topic: "to/ws", payload: ByteBuffer(string: "hello ws"), qos: .atLeastOnce))
        // A payload larger than one receive buffer and QoS 2: frames and packets do not line up.
        let large = String(repeating: "x", count: 70_000)
        let completed = try await device.publish(MQTTMessage(topic: "from/ws", payload: ByteBuffer(string: large), qos: .exactlyOnce))
        XCTAssertEqual(completed, .success)
        let deviceGot = await toDevice.messages(on: "to/ws")
        XCTAssertEqual(deviceGot.map(\.payload.utf8Text), ["hello ws"])
        let peerGot = await toPeer.messages(on: "from/ws")
        XCTAssertEqual(peerGot.map(\.payload.readableBytes), [70_000])
        await device.close(.graceful)
        await tcpPeer.close(.graceful)
    }

    func testAWrongPathIsRefusedWith404AndTheServersReason() async throws {
        let server = try await startServer(self, listeners: [.webSocket()])
        do {
            let client = try await MQTTClient.connect(to: try webSocketEndpoint(server, path: "/ws"),
                                                      configuration: configuration("lost"))
            await client.close(.graceful)
            XCTFail("connected through a path the broker does not serve")
        } catch MQTTClientError.webSocketUpgrade(.refused(let status, _, let body)) {
            XCTAssertEqual(status, 404)
            XCTAssertTrue(body.contains("/mqtt"), body)
        }
    }

    func testATCPListenerIsNotAWebSocketServer() async throws {
        let server = try await startServer(self, listeners: [.tcp()])
        var endpoint = try server.endpoint(.tcp)
        endpoint.transport = .webSocket(MQTTWebSocketSettings(upgradeTimeout: .seconds(5)))
        do {
            let client = try await MQTTClient.connect(to: endpoint, configuration: configuration("confused"))
            await client.close(.graceful)
            XCTFail("an MQTT listener accepted a WebSocket upgrade")
        } catch MQTTClientError.webSocketUpgrade(let failure) {
            // The broker reads the HTTP request as a malformed CONNECT and closes.
            XCTAssertEqual(failure, .closedBeforeResponse)
        }
    }

    func testMutualTLSUnderTheWebSocket() async throws {
        let pki = try await TestPKI.make(self, devices: ["wss-device"])
        let server = try await startServer(
            self, listeners: [.secureWebSocket(identity: pki.identity, clientCertificates: .required(trustRoots: pki.root))])
        let endpoint = try webSocketEndpoint(server, .secureWebSocket)
        let device = try await MQTTClient.connect(to: endpoint, tls: try pki.clientSettings(device: "wss-device"),
                                                  configuration: configuration("wss-device"))
        XCTAssertNotNil(device.connectResult.timings.tlsDuration)
        XCTAssertNotNil(device.connectResult.timings.webSocketUpgradeDuration)
        try await device.publish(MQTTMessage(topic: "t", payload: ByteBuffer(string: "over wss"), qos: .atLeastOnce))
        await device.close(.graceful)

        do {
            let stranger = try await MQTTClient.connect(to: endpoint, tls: try pki.clientSettings(), configuration: configuration("anon"))
            await stranger.close(.graceful)
            XCTFail("connected without a client certificate")
        } catch MQTTClientError.tls {
        } catch MQTTClientError.webSocketUpgrade(.closedBeforeResponse) {
            // TLS 1.3: the server's refusal of the missing certificate arrives after our handshake completed.
        }
    }

    /// The four endings over WebSocket give the verdicts they give over TCP: a will after abrupt and
    /// silent endings and after graceful-with-will (MQTT 5), none after graceful.
    func testTheFourEndingsKeepTheirWillVerdicts() async throws {
        let server = try await startServer(self, listeners: [.webSocket(), .tcp()])
        let observer = try await MQTTClient.connect(to: try server.endpoint(.tcp), configuration: configuration("observer"))
        let wills = inbox(of: observer)
        _ = try await observer.subscribe([Subscription(filter: "wills/#", qos: .atLeastOnce)])
        for ending in [MQTTEnding.abrupt, .silent, .gracefulWithWill, .graceful] {
            let topic = "wills/\(ending)"
            var settings = configuration("dev-\(ending)", will: Will(topic: topic, payload: ByteBuffer(string: "gone"), qos: .atLeastOnce))
            settings.keepAliveSeconds = 1
            let device = try await MQTTClient.connect(to: try webSocketEndpoint(server), configuration: settings)
            let reason = await device.close(ending)
            XCTAssertEqual(reason, .ended(ending))
        }
        // The graceful device ended last: once the other three wills are in, a fourth would have come first.
        let received = await wills.wait(seconds: 10) { $0.count >= 3 }
        XCTAssertEqual(Set(received.map(\.topic)), ["wills/abrupt", "wills/silent", "wills/graceful-with-will"])
        await observer.close(.graceful)
    }
}
