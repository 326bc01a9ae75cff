import Foundation
import MQTTClient
import MQTTCore
import NIOCore
import XCTest

/// TLS against the real mosquitto: mutual TLS on 8883 with a device chain, server-only TLS on
/// 8884, and the diagnoses for a wrong CA and a missing client certificate. (A hostname mismatch
/// cannot be provoked here: NIOSSL also accepts the certificate's IP SAN for 127.0.0.1.)
final class TLSIntegrationTests: XCTestCase {
    func testMutualTLSWithDeviceChainAndKey() async throws {
        for version in [MQTTProtocolVersion.v3_1_1, .v5_0] {
            let client = try await MQTTClient.connect(
                to: TestBroker.mutualTLS, tls: TestBroker.device1TLSSettings,
                configuration: TestBroker.configuration(version, TestBroker.uniqueID("mtls")))
            XCTAssertEqual(client.connectResult.connAck.reasonCode, .success)
            let timings = client.connectResult.timings
            let tcp = try XCTUnwrap(timings.tcpConnected)
            let tls = try XCTUnwrap(timings.tlsHandshakeCompleted)
            let connAck = try XCTUnwrap(timings.connAckReceived)
            XCTAssertLessThanOrEqual(tcp, tls)
            XCTAssertLessThanOrEqual(tls, connAck)
            let reason = await client.close(.graceful)
            XCTAssertEqual(reason, .ended(.graceful))
        }
    }

    func testMutualTLSPublishRoundTrip() async throws {
        let topic = "devices/\(TestBroker.uniqueID("mtls"))/telemetry"
        let (observer, collector) = try await TestBroker.subscriber(topic)
        let device = try await MQTTClient.connect(
            to: TestBroker.mutualTLS, tls: TestBroker.device1TLSSettings,
            configuration: TestBroker.configuration(.v5_0, TestBroker.uniqueID("mtls")))
        try await device.publish(MQTTMessage(topic: topic, payload: ByteBuffer(string: "21.5"), qos: .exactlyOnce))
        let received = await collector.wait(on: topic, seconds: 5)
        XCTAssertEqual(received.map(\.payload.text), ["21.5"])
        await device.close(.graceful)
        await observer.close(.graceful)
    }

    func testServerOnlyTLS() async throws {
        for version in [MQTTProtocolVersion.v3_1_1, .v5_0] {
            let client = try await MQTTClient.connect(
                to: TestBroker.serverTLS, tls: TestBroker.serverTLSSettings,
                configuration: TestBroker.configuration(version, TestBroker.uniqueID("tls")))
            XCTAssertEqual(client.connectResult.connAck.reasonCode, .success)
            XCTAssertNotNil(client.connectResult.timings.tlsHandshakeCompleted)
            await client.close(.graceful)
        }
    }

    func testAbruptCloseOverTLSDeliversTheWill() async throws {
        let topic = "devices/\(TestBroker.uniqueID("tls-abrupt"))/status"
        let (observer, collector) = try await TestBroker.subscriber(topic)
        let will = Will(topic: topic, payload: ByteBuffer(string: "offline"), qos: .atLeastOnce)
        let device = try await MQTTClient.connect(
            to: TestBroker.mutualTLS, tls: TestBroker.device1TLSSettings,
            configuration: TestBroker.configuration(.v5_0, TestBroker.uniqueID("tls-abrupt"), will: will))
        await device.close(.abrupt)
        let wills = await collector.wait(on: topic, seconds: 5)
        XCTAssertEqual(wills.count, 1)
        await observer.close(.graceful)
    }

    func testSilentOverMutualTLSDeliversTheWillAfterKeepAlive() async throws {
        let topic = "devices/\(TestBroker.uniqueID("tls-silent"))/status"
        let (observer, collector) = try await TestBroker.subscriber(topic)
        let will = Will(topic: topic, payload: ByteBuffer(string: "offline"), qos: .atLeastOnce)
        let device = try await MQTTClient.connect(
            to: TestBroker.mutualTLS, tls: TestBroker.device1TLSSettings,
            configuration: TestBroker.configuration(.v5_0, TestBroker.uniqueID("tls-silent"), keepAlive: 1, will: will))
        let (reason, wills) = await TestBroker.endSilently(device, willTopic: topic, collector: collector)
        XCTAssertEqual(reason, .ended(.silent))
        XCTAssertEqual(wills.count, 1)
        await observer.close(.graceful)
    }

    func testWrongCANamesAnUntrustedCA() async throws {
        let settings = TLSSettings(caFiles: [TestBroker.pkiFile("foreign-root.pem")])
        do {
            _ = try await MQTTClient.connect(
                to: TestBroker.serverTLS, tls: settings, configuration: TestBroker.configuration(.v5_0, "wrong-ca"))
            XCTFail("connected although the server's CA is not trusted")
        } catch let error as MQTTClientError {
            guard case .tls(let failure) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(failure.kind, .serverCertificateNotTrusted)
            XCTAssertTrue(failure.detail.contains("CERTIFICATE_VERIFY_FAILED"), failure.detail)
            XCTAssertTrue(failure.detail.contains("foreign-root.pem"), failure.detail)
            XCTAssertTrue("\(error)".contains("untrusted CA"), "\(error)")
        }
    }

    func testMissingClientCertificateOnMutualTLSIsAClearError() async throws {
        do {
            _ = try await MQTTClient.connect(
                to: TestBroker.mutualTLS, tls: TestBroker.serverTLSSettings,
                configuration: TestBroker.configuration(.v5_0, TestBroker.uniqueID("nocert")))
            XCTFail("connected to the mutual-TLS listener without a client certificate")
        } catch let error as MQTTClientError {
            guard case .tls(let failure) = error else { return XCTFail("expected a TLS error, got \(error)") }
            XCTAssertEqual(failure.kind, .alertReceived, failure.detail)
            XCTAssertTrue("\(error)".contains("requires a client certificate"), "\(error)")
        }
    }

    func testContextCacheBuildsEachIdentityOnce() throws {
        let cache = MQTTTLSContextCache()
        let first = try cache.context(for: TestBroker.device1TLSSettings)
        let second = try cache.context(for: TestBroker.device1TLSSettings)
        _ = try cache.context(for: TestBroker.serverTLSSettings)
        XCTAssertTrue(first.sslContext === second.sslContext)
        XCTAssertEqual(cache.count, 2)
    }

    func testUnreadableKeyIsAConfigurationError() {
        let settings = TLSSettings(
            caFiles: [TestBroker.pkiFile("root.pem")], certificateChainFile: TestBroker.pkiFile("device-1.pem"),
            privateKeyFile: TestBroker.pkiFile("no-such.key"))
        XCTAssertThrowsError(try settings.makeContext()) { error in
            guard case .tlsConfiguration(let detail) = error as? MQTTClientError else { return XCTFail("\(error)") }
            XCTAssertTrue(detail.contains("no-such.key"), detail)
        }
    }
}
