import DevicePKI
import Foundation
@testable import LabBroker
import MQTTClient
import MQTTCore
import NIOCore
import XCTest

/// The `eventgrid.yaml` rules that live in the transport, on the real server (127.0.0.1, port 0) with the
/// project's `MQTTClient` and `DevicePKI` identities: TLS required, the certificate CN as identity,
/// both MQTT versions over WebSocket. Client certificates are optional at the TLS layer, as `fleet`
/// starts the broker, so that the engine's rule is what refuses a client without one.
final class ProfileRuleEventGridServerTests: XCTestCase {
    private func mutualTLS(_ pki: TestPKI) -> ListenerConfiguration {
        .tls(identity: pki.identity, clientCertificates: .optional(trustRoots: pki.root))
    }

    /// seed 003: "Your MQTT clients must connect over TLS 1.2 or TLS 1.3."
    func testEventGridRequiresTLSTheServerOpensNoPlainListener() async throws {
        let profile = try shippedProfile("eventgrid")
        try await assertPlainListenersRefused(profile)

        let pki = try await TestPKI.make(self, devices: ["sensor-01"])
        let server = try await startServer(self, profile: profile, listeners: [mutualTLS(pki)])
        let client = try await MQTTClient.connect(
            to: try server.endpoint(.tls), tls: try pki.clientSettings(device: "sensor-01"),
            configuration: configuration("sensor-01"))
        XCTAssertEqual(client.connectResult.connAck.reasonCode, .success)
        XCTAssertNotNil(client.connectResult.timings.tlsHandshakeCompleted)
        await client.close(.graceful)
    }

    /// seed 004: "Event Grid requires X.509 authentication"; seed 003: the username must match the
    /// certificate's authentication name. The CN read from the real handshake decides the topic spaces.
    func testEventGridAuthenticationIsTheCertificateCNOverMutualTLS() async throws {
        let pki = try await TestPKI.make(self, devices: ["sensor-01"])
        let server = try await startServer(self, profile: try shippedProfile("eventgrid"), listeners: [mutualTLS(pki)])
        let endpoint = try server.endpoint(.tls)
        let device = try pki.clientSettings(device: "sensor-01")
        for version in bothVersions {
            let v = version.rawValue
            let noCertificate = await refusal(
                endpoint, tls: try pki.clientSettings(), configuration("nocert-\(v)", version: version))
            XCTAssertEqual(noCertificate, .notAuthorized, "\(version): no client certificate")
            let otherName = await refusal(
                endpoint, tls: device, configuration("impostor-\(v)", version: version, username: "sensor-02"))
            XCTAssertEqual(otherName, .badUserNameOrPassword, "\(version): username is not the CN")

            // Client ID `thing-…`, certificate `sensor-01`: the CN's topic space is granted, not the ID's.
            let client = try await MQTTClient.connect(to: endpoint, tls: device, configuration: configuration("thing-\(v)", version: version))
            let own = try await client.publish(MQTTMessage(topic: "devices/sensor-01/t", payload: ByteBuffer(string: "cn"), qos: .atLeastOnce))
            XCTAssertEqual(own, .success)
            switch version {
            case .v5_0:
                let refused = try await client.publish(
                    MQTTMessage(topic: "devices/thing-\(v)/t", payload: ByteBuffer(string: "id"), qos: .atLeastOnce))
                XCTAssertEqual(refused, .notAuthorized)
                await client.close(.graceful)
            case .v3_1_1:
                do {
                    try await client.publish(MQTTMessage(topic: "devices/thing-\(v)/t", payload: ByteBuffer(string: "id"), qos: .atLeastOnce))
                    XCTFail("3.1.1: a PUBLISH outside the topic space was acknowledged")
                } catch {
                    let reason = await client.closed()
                    XCTAssertEqual(reason, .failed(.closedByPeer), "3.1.1: the broker closes the connection")
                }
            }
        }
    }

    /// seed 003: "Maximum Packet Size is 512 KiB", on the wire: the server's framer holds every packet
    /// (the CONNECT too) to it.
    func testEventGridMaximumPacketSizeOnTheWire() async throws {
        let pki = try await TestPKI.make(self, devices: ["sensor-01"])
        let server = try await startServer(self, profile: try shippedProfile("eventgrid"), listeners: [mutualTLS(pki)])
        let port = try server.listener(.tls).port
        let device = try pki.clientSettings(device: "sensor-01").makeContext().sslContext

        let client = try await RawClient.connect(port: port, tls: device)
        try await client.send(.connect(ConnectPacket(clientIdentifier: "sensor-01")))
        let largest = publishOfSize(524_288, topic: "devices/sensor-01/big", packetID: 1, version: .v5_0)
        try await client.send(.publish(largest))
        let accepted = await client.packets { $0.count >= 2 }
        guard accepted.count == 2, case .connack(let connack) = accepted[0] else { return XCTFail("\(accepted)") }
        XCTAssertEqual(connack.reasonCode, .success)
        XCTAssertEqual(accepted[1], .puback(PublishAckPacket(packetIdentifier: 1)), "512 KiB is accepted")
        try await client.send(.publish(publishOfSize(524_289, topic: "devices/sensor-01/big", packetID: 2, version: .v5_0)))
        let (bytes, closed) = await client.bytesUntilClosed()
        XCTAssertTrue(closed)
        XCTAssertEqual(decodePackets(bytes, version: .v5_0).dropFirst(2).map(\.disconnectReason), [.packetTooLarge])

        let bigConnect = try await RawClient.connect(port: port, tls: device)
        let big = String(repeating: "u", count: 60_000)
        let padding = MQTTProperties((0..<9).map { _ in MQTTProperty.userProperty("pad", big) })
        try await bigConnect.send(.connect(ConnectPacket(clientIdentifier: "sensor-01-big", properties: padding)))
        let (answer, closedUnanswered) = await bigConnect.bytesUntilClosed()
        XCTAssertTrue(closedUnanswered)
        XCTAssertEqual(answer.readableBytes, 0, "a CONNECT over 512 KiB is not answered")
    }

    /// seed 003: "MQTT v3.1.1 over WebSockets ... and MQTT v5 over WebSockets", with the certificate.
    func testEventGridProtocolVersionsOverSecureWebSocket() async throws {
        let pki = try await TestPKI.make(self, devices: ["sensor-01"])
        let server = try await startServer(
            self, profile: try shippedProfile("eventgrid"),
            listeners: [.secureWebSocket(identity: pki.identity, clientCertificates: .optional(trustRoots: pki.root))])
        let listener = try server.listener(.secureWebSocket)
        let device = try pki.clientSettings(device: "sensor-01").makeContext().sslContext
        for version in bothVersions {
            let client = try await WebSocketClient.connect(to: listener, tls: device, version: version)
            try await client.send(
                .connect(ConnectPacket(clientIdentifier: "browser-\(version.rawValue)")),
                .subscribe(SubscribePacket(packetIdentifier: 1, subscriptions: [
                    Subscription(filter: "devices/sensor-01/#", qos: .atLeastOnce),
                ])))
            let packets = await client.packets { $0.count >= 2 }
            guard packets.count >= 2, case .connack(let connack) = packets[0], case .suback(let suback) = packets[1] else {
                return XCTFail("\(version): \(packets)")
            }
            XCTAssertEqual(connack.reasonCode, .success, "\(version)")
            XCTAssertEqual(suback.reasonCodes, [.grantedQoS1], "\(version)")
            try await client.channel.close()
        }

        let anonymous = try await WebSocketClient.connect(to: listener, tls: try pki.clientSettings().makeContext().sslContext)
        try await anonymous.send(.connect(ConnectPacket(clientIdentifier: "browser-anonymous")))
        let events = await anonymous.eventsUntilClosed()
        let packets = events.compactMap { if case .packet(let packet) = $0 { packet } else { nil } }
        XCTAssertEqual(packets, [.connack(ConnAckPacket(reasonCode: .notAuthorized))], "no certificate over WSS either")
        XCTAssertTrue(events.contains { if case .closed = $0 { true } else { false } })
    }
}

/// `profile` may open neither plain TCP nor plain WebSocket listeners.
func assertPlainListenersRefused(
    _ profile: BrokerProfile, file: StaticString = #filePath, line: UInt = #line
) async throws {
    for listener in [ListenerConfiguration.tcp(), .webSocket()] {
        do {
            let server = try await LabBrokerServer.start(profile: profile, listeners: [listener])
            try await server.shutdown()
            XCTFail("\(profile.name): a plain \(listener.transport) listener was opened", file: file, line: line)
        } catch let error as LabBrokerServerError {
            guard case .plainListenerRefused(let name, _) = error else {
                return XCTFail("\(error)", file: file, line: line)
            }
            XCTAssertEqual(name, profile.name, file: file, line: line)
        }
    }
}

/// The reason code a CONNECT was refused with; nil (and a failure) when it was accepted.
func refusal(
    _ endpoint: MQTTEndpoint, tls: TLSSettings, _ configuration: MQTTConnectionConfiguration,
    file: StaticString = #filePath, line: UInt = #line
) async -> ReasonCode? {
    do {
        let client = try await MQTTClient.connect(to: endpoint, tls: tls, configuration: configuration)
        await client.close(.abrupt)
        XCTFail("\(configuration.clientIdentifier) was accepted", file: file, line: line)
        return nil
    } catch let error as MQTTClientError {
        guard case .connectionRefused(let code, _) = error else {
            XCTFail("\(configuration.clientIdentifier): \(error)", file: file, line: line)
            return nil
        }
        return code
    } catch {
        XCTFail("\(configuration.clientIdentifier): \(error)", file: file, line: line)
        return nil
    }
}
