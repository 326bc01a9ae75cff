import DevicePKI
import Foundation
import MQTTClient
import MQTTCore
import NIOCore
import XCTest

/// Mutual TLS with identities issued for the test: an RSA device key under the broker's root (must
/// be accepted), and a device under a root the broker does not trust (must be rejected, with the
/// broker's alert named).
final class IssuedIdentityIntegrationTests: XCTestCase {
    private var directory: URL!

    override func setUp() {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent(TestBroker.uniqueID("issued-pki"))
    }

    override func tearDown() {
        try? FileManager.default.removeItem(at: directory)
    }

    /// Makes an intermediate under `root` and one device identity under it.
    private func issueDevice(underRoot root: String, key: KeyAlgorithm) async throws -> (String, TLSSettings) {
        var authority = CertificateAuthorityOptions(directory: directory.path)
        authority.existingRoot = .init(certificatePath: TestBroker.pkiFile("\(root).pem"), keyPath: TestBroker.pkiFile("\(root).key"))
        _ = try CertificateAuthoritySetup.create(authority)
        let clientID = TestBroker.uniqueID("issued-device")
        var request = IssueRequest(directory: directory.path, clientIDs: .list([clientID]))
        request.keyAlgorithm = key
        _ = try await DeviceIdentityIssuer.issue(request)
        let identity = try DeviceIdentityStore(directory: directory.path).identity(forClientID: clientID)
        let settings = TLSSettings(
            caFiles: [TestBroker.pkiFile("root.pem")], certificateChainFile: identity.chainPath,
            privateKeyFile: identity.keyPath)
        return (clientID, settings)
    }

    func testMutualTLSWithRSAKeyAndChain() async throws {
        let (clientID, settings) = try await issueDevice(underRoot: "root", key: .rsa2048)
        let client = try await MQTTClient.connect(
            to: TestBroker.mutualTLS, tls: settings, configuration: TestBroker.configuration(.v5_0, clientID))
        XCTAssertEqual(client.connectResult.connAck.reasonCode, .success)
        let reason = await client.close(.graceful)
        XCTAssertEqual(reason, .ended(.graceful))
        let log = try String(contentsOfFile: TestBroker.logFile, encoding: .utf8)
        XCTAssertTrue(log.contains("as \(clientID) (p5, c1, k60, u'\(clientID)')"), "the broker did not see the RSA identity")
    }

    func testDeviceFromAnUntrustedRootIsRejectedByTheBroker() async throws {
        let (clientID, settings) = try await issueDevice(underRoot: "foreign-root", key: .p256)
        do {
            _ = try await MQTTClient.connect(
                to: TestBroker.mutualTLS, tls: settings, configuration: TestBroker.configuration(.v5_0, clientID))
            XCTFail("the broker accepted a device certificate from a root it does not trust")
        } catch let error as MQTTClientError {
            guard case .tls(let failure) = error else { return XCTFail("expected a TLS error, got \(error)") }
            XCTAssertEqual(failure.kind, .alertReceived, failure.detail)
            XCTAssertTrue("\(error)".contains("rejected our client certificate"), "\(error)")
        }
    }
}
