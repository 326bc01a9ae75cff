import AzureCredentials
import DevicePKI
import Foundation
@testable import LabBroker
import MQTTClient
import MQTTCore
import NIOCore
import XCTest

/// The `iothub.yaml` rules that live in the transport, on the real server (127.0.0.1, port 0) with the
/// project's `MQTTClient` and `DevicePKI` identities: TLS required, SAS token passwords and device
/// certificates as sent over a real handshake, MQTT 3.1.1 over WebSocket.
final class ProfileRuleIoTHubServerTests: XCTestCase {
    private func device(_ deviceID: String, password: String?, version: MQTTProtocolVersion = .v3_1_1)
        -> MQTTConnectionConfiguration
    {
        var configuration = configuration(deviceID, version: version, username: LabHub.username(deviceID))
        configuration.password = password.map { ByteBuffer(string: $0) }
        return configuration
    }

    /// seed 002: "To use the MQTT protocol directly, your client must connect over TLS/SSL."
    func testIoTHubRequiresTLSTheServerOpensNoPlainListener() async throws {
        try await assertPlainListenersRefused(try shippedProfile("iothub"))
    }

    /// SAS tokens as a real 3.1.1 client sends them over TLS: its own valid token connects and sends
    /// telemetry; expired, another device's, and MQTT 5 are refused.
    func testIoTHubAuthenticationSASTokenOverTLS() async throws {
        let pki = try await TestPKI.make(self)
        let server = try await startServer(self, profile: try LabHub.profile(devices: ["d1", "d2"]),
                                           listeners: [.tls(identity: pki.identity)])
        let endpoint = try server.endpoint(.tls)
        let tls = try pki.clientSettings()

        let client = try await MQTTClient.connect(to: endpoint, tls: tls, configuration: device("d1", password: LabHub.token(for: "d1")))
        XCTAssertEqual(client.connectResult.connAck.reasonCode, .success)
        let ack = try await client.publish(MQTTMessage(topic: "devices/d1/messages/events/", payload: ByteBuffer(string: "{}"), qos: .atLeastOnce))
        XCTAssertEqual(ack, .success)
        await client.close(.graceful)

        let expired = await refusal(endpoint, tls: tls, device("d1", password: LabHub.token(for: "d1", expiresIn: -60)))
        XCTAssertEqual(expired, .badUserNameOrPassword)
        let borrowed = await refusal(endpoint, tls: tls, device("d1", password: LabHub.token(for: "d2")))
        XCTAssertEqual(borrowed, .badUserNameOrPassword)
        let five = await refusal(endpoint, tls: tls, device("d1", password: LabHub.token(for: "d1"), version: .v5_0))
        XCTAssertEqual(five, .unsupportedProtocolVersion)
    }

    /// seed 002: with X.509, "SAS token passwords are not required"; the CN must be the device ID.
    func testIoTHubAuthenticationDeviceCertificateOverMutualTLS() async throws {
        let pki = try await TestPKI.make(self, devices: ["cert-dev"])
        let server = try await startServer(
            self, profile: try shippedProfile("iothub"),
            listeners: [.tls(identity: pki.identity, clientCertificates: .optional(trustRoots: pki.root))])
        let endpoint = try server.endpoint(.tls)
        let certificate = try pki.clientSettings(device: "cert-dev")
        let client = try await MQTTClient.connect(to: endpoint, tls: certificate, configuration: device("cert-dev", password: nil))
        XCTAssertEqual(client.connectResult.connAck.reasonCode, .success)
        await client.close(.graceful)

        let borrowed = await refusal(endpoint, tls: certificate, device("other-dev", password: nil))
        XCTAssertEqual(borrowed, .notAuthorized, "a certificate for another device")
        let none = await refusal(endpoint, tls: try pki.clientSettings(), device("cert-dev", password: nil))
        XCTAssertEqual(none, .badUserNameOrPassword, "neither a token nor a certificate")
    }

    /// seed 002: "MQTT v3.1.1 over WebSocket on port 443"; MQTT 5 is refused there too.
    func testIoTHubProtocolVersionsOverSecureWebSocket() async throws {
        let pki = try await TestPKI.make(self)
        let server = try await startServer(self, profile: try LabHub.profile(devices: ["d1"]),
                                           listeners: [.secureWebSocket(identity: pki.identity)])
        let listener = try server.listener(.secureWebSocket)
        let tls = try pki.clientSettings().makeContext().sslContext
        let expected: [MQTTProtocolVersion: ReasonCode] = [.v3_1_1: .success, .v5_0: .unsupportedProtocolVersion]
        for version in bothVersions {
            let client = try await WebSocketClient.connect(to: listener, tls: tls, version: version)
            try await client.send(.connect(ConnectPacket(
                clientIdentifier: "d1", username: LabHub.username("d1"), password: ByteBuffer(string: LabHub.token(for: "d1")))))
            let packets = await client.packets { !$0.isEmpty }
            guard case .connack(let connack)? = packets.first else { return XCTFail("\(version): \(packets)") }
            XCTAssertEqual(connack.reasonCode, expected[version], "\(version)")
            try? await client.channel.close()
        }
    }
}
