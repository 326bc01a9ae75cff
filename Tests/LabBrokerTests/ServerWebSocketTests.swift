@testable import LabBroker
import MQTTClient
import MQTTCore
import NIOCore
import NIOHTTP1
import NIOSSL
import NIOWebSocket
import XCTest

/// WebSocket listeners on real sockets: the upgrade and its refusals, RFC 6455 frame rules, and MQTT
/// round trips over ws:// and wss:// against a TCP client on the same broker.
final class ServerWebSocketTests: XCTestCase {
    private func upgradeRequest(path: String, subprotocol: String? = "mqtt", upgrade: Bool = true) -> String {
        var lines = ["GET \(path) HTTP/1.1", "Host: 127.0.0.1"]
        if upgrade {
            lines += ["Upgrade: websocket", "Connection: Upgrade", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version: 13"]
        }
        if let subprotocol { lines.append("Sec-WebSocket-Protocol: \(subprotocol)") }
        return lines.joined(separator: "\r\n") + "\r\n\r\n"
    }

    /// The status line and body the server answered `request` with, and whether it then closed.
    private func answer(to request: String, port: Int) async throws -> (status: String, body: String, closed: Bool) {
        let client = try await RawClient.connect(port: port)
        try await client.send(request)
        let (bytes, closed) = await client.bytesUntilClosed()
        let text = String(buffer: bytes)
        let status = text.components(separatedBy: "\r\n").first ?? ""
        let body = text.components(separatedBy: "\r\n\r\n").dropFirst().joined()
        return (status, body, closed)
    }

    func testTheUpgradeEchoesTheMQTTSubprotocol() async throws {
        let server = try await startServer(self, listeners: [.webSocket()])
        let client = try await WebSocketClient.connect(to: try server.listener(.webSocket), subprotocols: ["mqttv3.1", "mqtt"])
        XCTAssertEqual(client.upgradeResponse.status, .switchingProtocols)
        XCTAssertEqual(client.upgradeResponse.headers["Sec-WebSocket-Protocol"], ["mqtt"])
        try await client.channel.close()
    }

    func testAnotherPathIs404() async throws {
        let server = try await startServer(self, listeners: [.webSocket()])
        let answer = try await answer(to: upgradeRequest(path: "/other"), port: try server.listener(.webSocket).port)
        XCTAssertEqual(answer.status, "HTTP/1.1 404 Not Found")
        XCTAssertTrue(answer.body.contains("/mqtt"), answer.body)
        XCTAssertTrue(answer.closed)
        let transport = await server.transportStatistics()
        XCTAssertEqual(transport.webSocketUpgradesRefused, 1)
        XCTAssertEqual(transport.connectionsOpened, 0)
    }

    func testAnUpgradeWithoutTheMQTTSubprotocolIs400() async throws {
        let server = try await startServer(self, listeners: [.webSocket()])
        let port = try server.listener(.webSocket).port
        for subprotocol in [nil, "chat"] {
            let answer = try await answer(to: upgradeRequest(path: "/mqtt", subprotocol: subprotocol), port: port)
            XCTAssertEqual(answer.status, "HTTP/1.1 400 Bad Request", "offered \(subprotocol ?? "nothing")")
            XCTAssertTrue(answer.body.contains("Sec-WebSocket-Protocol"), answer.body)
            XCTAssertTrue(answer.closed)
        }
        // Through NIO's client upgrader too: the upgrade is refused.
        do {
            let client = try await WebSocketClient.connect(to: try server.listener(.webSocket), subprotocols: [])
            try await client.channel.close()
            XCTFail("upgraded without the mqtt subprotocol")
        } catch WebSocketClient.Failure.refused(let status) {
            XCTAssertEqual(status, .badRequest)
        }
    }

    func testAPlainGETIs400() async throws {
        let server = try await startServer(self, listeners: [.webSocket()])
        let answer = try await answer(to: upgradeRequest(path: "/mqtt", subprotocol: nil, upgrade: false), port: try server.listener(.webSocket).port)
        XCTAssertEqual(answer.status, "HTTP/1.1 400 Bad Request")
        XCTAssertTrue(answer.closed)
    }

    func testMQTTRoundTripOverWebSocket() async throws {
        let server = try await startServer(self, listeners: [.webSocket(), .tcp()])
        let client = try await WebSocketClient.connect(to: try server.listener(.webSocket))
        // CONNECT split over a fragmented message, then SUBSCRIBE and PINGREQ sharing one frame.
        var connect = try encode([.connect(ConnectPacket(clientIdentifier: "browser"))], version: .v5_0)
        let head = connect.readSlice(length: 5)!
        try await client.sendBinary(head, fin: false)
        try await client.sendBinary(connect, fin: true, opcode: .continuation)
        try await client.send(
            .subscribe(SubscribePacket(packetIdentifier: 1, subscriptions: [Subscription(filter: "to/browser", qos: .atLeastOnce)])),
            .pingreq)
        let handshake = await client.packets { $0.count >= 3 }
        XCTAssertEqual(handshake.map(\.type), [.connack, .suback, .pingresp])

        let device = try await MQTTClient.connect(to: try server.endpoint(.tcp), configuration: configuration("device"))
        let toDevice = inbox(of: device)
        _ = try await device.subscribe([Subscription(filter: "from/browser", qos: .atLeastOnce)])
        try await device.publish(MQTTMessage(topic: "to/browser", payload: ByteBuffer(string: "over tcp"), qos: .atLeastOnce))
        let delivered = await client.packets { $0.count >= 4 }
        guard case .publish(let publish) = delivered.last else { return XCTFail("no PUBLISH in \(delivered)") }
        XCTAssertEqual(publish.topic, "to/browser")
        XCTAssertEqual(publish.payload.utf8Text, "over tcp")

        try await client.send(
            .puback(PublishAckPacket(packetIdentifier: try XCTUnwrap(publish.packetIdentifier))),
            .publish(PublishPacket(topic: "from/browser", payload: ByteBuffer(string: "over ws"), qos: .atLeastOnce, packetIdentifier: 9)))
        let acked = await client.packets { $0.count >= 5 }
        guard case .puback(let ack) = acked.last else { return XCTFail("no PUBACK in \(acked)") }
        XCTAssertEqual(ack.packetIdentifier, 9)
        let messages = await toDevice.messages(on: "from/browser")
        XCTAssertEqual(messages.map(\.payload.utf8Text), ["over ws"])
        await device.close(.graceful)
        try await client.channel.close()
    }

    func testPingIsAnsweredAndATextFrameCloses1003() async throws {
        let server = try await startServer(self, listeners: [.webSocket()])
        let client = try await WebSocketClient.connect(to: try server.listener(.webSocket))
        try await client.send(WebSocketFrame(fin: true, opcode: .ping, maskKey: .random(), data: ByteBuffer(string: "hi")))
        try await client.send(WebSocketFrame(fin: true, opcode: .text, maskKey: .random(), data: ByteBuffer(string: "{}")))
        let events = await client.eventsUntilClosed()
        let frames = events.compactMap { if case .frame(let frame) = $0 { frame } else { nil } }
        XCTAssertEqual(frames.map(\.opcode), [.pong, .connectionClose])
        XCTAssertEqual(frames.first?.unmaskedData.utf8Text, "hi")
        var close = try XCTUnwrap(frames.last).unmaskedData
        XCTAssertEqual(close.readWebSocketErrorCode(), .unacceptableData)
        XCTAssertTrue(events.contains { if case .closed = $0 { true } else { false } })
    }

    func testAnUnmaskedClientFrameCloses1002() async throws {
        let server = try await startServer(self, listeners: [.webSocket()])
        let client = try await WebSocketClient.connect(to: try server.listener(.webSocket))
        try await client.send(WebSocketFrame(fin: true, opcode: .binary, data: try encode([.pingreq], version: .v5_0)))
        let events = await client.eventsUntilClosed()
        let frames = events.compactMap { if case .frame(let frame) = $0 { frame } else { nil } }
        var close = try XCTUnwrap(frames.last { $0.opcode == .connectionClose }).unmaskedData
        XCTAssertEqual(close.readWebSocketErrorCode(), .protocolError)
    }

    /// Closing the WebSocket without DISCONNECT is a network failure to MQTT: the will goes out, and the
    /// close handshake is answered.
    func testAWebSocketCloseWithoutDisconnectDeliversTheWill() async throws {
        let server = try await startServer(self, listeners: [.webSocket(), .tcp()])
        let observer = try await MQTTClient.connect(to: try server.endpoint(.tcp), configuration: configuration("observer"))
        let received = inbox(of: observer)
        _ = try await observer.subscribe([Subscription(filter: "devices/+/status", qos: .atLeastOnce)])

        let client = try await WebSocketClient.connect(to: try server.listener(.webSocket))
        let will = Will(topic: "devices/browser/status", payload: ByteBuffer(string: "offline"), qos: .atLeastOnce)
        try await client.send(.connect(ConnectPacket(clientIdentifier: "browser", will: will)))
        _ = await client.packets { $0.count >= 1 }
        var code = ByteBuffer()
        code.write(webSocketErrorCode: .goingAway)
        try await client.send(WebSocketFrame(fin: true, opcode: .connectionClose, maskKey: .random(), data: code))
        let events = await client.eventsUntilClosed()
        let frames = events.compactMap { if case .frame(let frame) = $0 { frame } else { nil } }
        XCTAssertEqual(frames.map(\.opcode), [.connectionClose], "the close is answered")
        let wills = await received.messages(on: "devices/browser/status")
        XCTAssertEqual(wills.map(\.payload.utf8Text), ["offline"])
        await observer.close(.graceful)
    }

    func testSecureWebSocketRoundTrip() async throws {
        let pki = try await TestPKI.make(self)
        let server = try await startServer(self, listeners: [.secureWebSocket(identity: pki.identity), .tcp()])
        let settings = try pki.clientSettings()
        let tls = try settings.makeContext().sslContext
        let client = try await WebSocketClient.connect(to: try server.listener(.secureWebSocket), tls: tls)
        try await client.send(
            .connect(ConnectPacket(clientIdentifier: "secure-browser")),
            .subscribe(SubscribePacket(packetIdentifier: 1, subscriptions: [Subscription(filter: "wss/#")])))
        _ = await client.packets { $0.count >= 2 }
        let device = try await MQTTClient.connect(to: try server.endpoint(.tcp), configuration: configuration("device"))
        try await device.publish(MQTTMessage(topic: "wss/hello", payload: ByteBuffer(string: "sealed"), qos: .atLeastOnce))
        let packets = await client.packets { $0.count >= 3 }
        guard case .publish(let publish) = packets.last else { return XCTFail("no PUBLISH in \(packets)") }
        XCTAssertEqual(publish.payload.utf8Text, "sealed")
        await device.close(.graceful)
        try await client.channel.close()
    }

    /// Over wss:// with mutual TLS the CN is read after the upgrade (the handshake finished long before),
    /// and the engine decides on it exactly as over mqtts://.
    func testSecureWebSocketWithMutualTLSGivesTheEngineTheCommonName() async throws {
        let pki = try await TestPKI.make(self, devices: ["browser-01"])
        var profile = BrokerProfile()
        profile.authentication = .certificateCommonName(usernameMustMatch: true)
        let server = try await startServer(
            self, profile: profile,
            listeners: [.secureWebSocket(identity: pki.identity, clientCertificates: .required(trustRoots: pki.root))])
        let listener = try server.listener(.secureWebSocket)
        let device = try pki.clientSettings(device: "browser-01").makeContext().sslContext
        for (username, accepted) in [("browser-01", true), ("browser-02", false)] {
            let client = try await WebSocketClient.connect(to: listener, tls: device)
            try await client.send(.connect(ConnectPacket(clientIdentifier: "browser-01", username: username)))
            let packets = await client.packets { $0.count >= 1 }
            guard case .connack(let connAck) = packets.first else { return XCTFail("no CONNACK in \(packets)") }
            XCTAssertEqual(!connAck.reasonCode.isFailure, accepted, "username \(username): \(connAck.reasonCode)")
            // The broker closes a refused connection itself, possibly before this close: either way is fine.
            try? await client.channel.close()
        }

        // The handshake fails before any HTTP.
        let anonymous = try? await WebSocketClient.connect(to: listener, tls: try pki.clientSettings().makeContext().sslContext)
        XCTAssertNil(anonymous, "upgraded without a client certificate")
        try? await anonymous?.channel.close()
        let transport = await server.transportStatistics()
        XCTAssertEqual(transport.tlsHandshakesFailed, 1)
    }
}
