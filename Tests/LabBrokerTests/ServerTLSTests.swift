import DevicePKI
@testable import LabBroker
import MQTTClient
import MQTTCore
import NIOCore
import XCTest

/// TLS listeners with identities from `DevicePKI`: server-only TLS, mutual TLS where the engine sees the
/// client certificate's CN (Event Grid's username rule decides on it), and handshake failures.
final class ServerTLSTests: XCTestCase {
    func testServerOnlyTLSRoundTrip() async throws {
        let pki = try await TestPKI.make(self)
        let server = try await startServer(self, listeners: [.tls(identity: pki.identity)])
        let endpoint = try server.endpoint(.tls)
        let settings = try pki.clientSettings()
        for version in [MQTTProtocolVersion.v3_1_1, .v5_0] {
            let subscriber = try await MQTTClient.connect(
                to: endpoint, tls: settings, configuration: configuration("tls-sub-\(version.rawValue)", version: version))
            XCTAssertNotNil(subscriber.connectResult.timings.tlsHandshakeCompleted)
            let received = inbox(of: subscriber)
            _ = try await subscriber.subscribe([Subscription(filter: "tls/#", qos: .atLeastOnce)])
            let publisher = try await MQTTClient.connect(
                to: endpoint, tls: settings, configuration: configuration("tls-pub-\(version.rawValue)", version: version))
            try await publisher.publish(MQTTMessage(topic: "tls/\(version.rawValue)", payload: ByteBuffer(string: "sealed"), qos: .atLeastOnce))
            let messages = await received.messages(on: "tls/\(version.rawValue)")
            XCTAssertEqual(messages.map(\.payload.utf8Text), ["sealed"])
            await publisher.close(.graceful)
            await subscriber.close(.graceful)
        }
    }

    /// `.certificateCommonName(usernameMustMatch: true)`: the CN read from the handshake is the identity,
    /// and a username other than the CN is refused — so a refusal proves the engine saw the CN.
    func testMutualTLSGivesTheEngineTheCertificateCommonName() async throws {
        let pki = try await TestPKI.make(self, devices: ["sensor-01"])
        var profile = BrokerProfile()
        profile.authentication = .certificateCommonName(usernameMustMatch: true)
        let server = try await startServer(
            self, profile: profile, listeners: [.tls(identity: pki.identity, clientCertificates: .required(trustRoots: pki.root))])
        let endpoint = try server.endpoint(.tls)
        let device = try pki.clientSettings(device: "sensor-01")

        let accepted = try await MQTTClient.connect(
            to: endpoint, tls: device, configuration: configuration("sensor-01", username: "sensor-01"))
        XCTAssertEqual(accepted.connectResult.connAck.reasonCode, .success)
        await accepted.close(.graceful)

        do {
            let impostor = try await MQTTClient.connect(
                to: endpoint, tls: device, configuration: configuration("sensor-01", username: "sensor-02"))
            await impostor.close(.abrupt)
            XCTFail("a username other than the certificate's CN was accepted")
        } catch let error as MQTTClientError {
            guard case .connectionRefused(let code, _) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(code.isFailure, "\(code)")
        }
        let statistics = await server.statistics()
        XCTAssertEqual(statistics.connectsRefused, 1)
    }

    func testMutualTLSWithoutAClientCertificateFailsTheHandshake() async throws {
        let pki = try await TestPKI.make(self)
        let server = try await startServer(
            self, listeners: [.tls(identity: pki.identity, clientCertificates: .required(trustRoots: pki.root))])
        do {
            let client = try await MQTTClient.connect(
                to: try server.endpoint(.tls), tls: try pki.clientSettings(), configuration: configuration("no-cert"))
            await client.close(.abrupt)
            XCTFail("connected to a mutual-TLS listener without a certificate")
        } catch let error as MQTTClientError {
            guard case .tls = error else { return XCTFail("expected a TLS failure, got \(error)") }
        }
        let transport = await server.transportStatistics()
        XCTAssertEqual(transport.tlsHandshakesFailed, 1)
        XCTAssertEqual(transport.connectionsOpened, 0)
    }

    func testOptionalClientCertificatesAcceptClientsWithAndWithout() async throws {
        let pki = try await TestPKI.make(self, devices: ["sensor-07"])
        let server = try await startServer(
            self, listeners: [.tls(identity: pki.identity, clientCertificates: .optional(trustRoots: pki.root))])
        let endpoint = try server.endpoint(.tls)
        let with = try await MQTTClient.connect(to: endpoint, tls: try pki.clientSettings(device: "sensor-07"), configuration: configuration("with"))
        let without = try await MQTTClient.connect(to: endpoint, tls: try pki.clientSettings(), configuration: configuration("without"))
        XCTAssertEqual(with.connectResult.connAck.reasonCode, .success)
        XCTAssertEqual(without.connectResult.connAck.reasonCode, .success)
        await with.close(.graceful)
        await without.close(.graceful)
    }

    func testAnAbruptCloseOverTLSDeliversTheWill() async throws {
        let pki = try await TestPKI.make(self)
        let server = try await startServer(self, listeners: [.tls(identity: pki.identity), .tcp()])
        let observer = try await MQTTClient.connect(to: try server.endpoint(.tcp), configuration: configuration("observer"))
        let received = inbox(of: observer)
        _ = try await observer.subscribe([Subscription(filter: "devices/+/status", qos: .atLeastOnce)])
        let will = Will(topic: "devices/tls/status", payload: ByteBuffer(string: "offline"), qos: .atLeastOnce)
        let device = try await MQTTClient.connect(
            to: try server.endpoint(.tls), tls: try pki.clientSettings(), configuration: configuration("tls", will: will))
        await device.close(.abrupt)
        let wills = await received.messages(on: "devices/tls/status")
        XCTAssertEqual(wills.map(\.payload.utf8Text), ["offline"])
        await observer.close(.graceful)
    }
}
