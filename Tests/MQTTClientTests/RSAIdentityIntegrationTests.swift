import DevicePKI
import Foundation
import MQTTClient
import MQTTCore
import NIOCore
import XCTest

/// Mutual TLS with an RSA device key: a fresh intermediate under the test broker's root issues an
/// RSA identity, which the mTLS listener (trusting that root) must accept.
final class RSAIdentityIntegrationTests: XCTestCase {
    func testMutualTLSWithRSAKeyAndChain() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(TestBroker.uniqueID("rsa-pki"))
        defer { try? FileManager.default.removeItem(at: directory) }
        var authority = CertificateAuthorityOptions(directory: directory.path)
        authority.existingRoot = .init(
            certificatePath: TestBroker.pkiFile("root.pem"), keyPath: TestBroker.pkiFile("root.key"))
        _ = try CertificateAuthoritySetup.create(authority)
        let clientID = TestBroker.uniqueID("rsa-device")
        var request = IssueRequest(directory: directory.path, clientIDs: .list([clientID]))
        request.keyAlgorithm = .rsa2048
        _ = try await DeviceIdentityIssuer.issue(request)
        let identity = try DeviceIdentityStore(directory: directory.path).identity(forClientID: clientID)

        let settings = TLSSettings(
            caFiles: [TestBroker.pkiFile("root.pem")], certificateChainFile: identity.chainPath,
            privateKeyFile: identity.keyPath)
        let client = try await MQTTClient.connect(
            to: TestBroker.mutualTLS, tls: settings, configuration: TestBroker.configuration(.v5_0, clientID))
        XCTAssertEqual(client.connectResult.connAck.reasonCode, .success)
        let reason = await client.close(.graceful)
        XCTAssertEqual(reason, .ended(.graceful))
        let log = try String(contentsOfFile: TestBroker.logFile, encoding: .utf8)
        XCTAssertTrue(log.contains("as \(clientID) (p5, c1, k60, u'\(clientID)')"), "the broker did not see the RSA identity")
    }
}
