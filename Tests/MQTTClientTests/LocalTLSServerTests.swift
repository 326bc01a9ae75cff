import DevicePKI
import Foundation
import MQTTClient
import MQTTCore
import NIOCore
import NIOPosix
import NIOSSL
import XCTest

/// Hostname verification and certificate validity against a local TLS server whose certificate we
/// choose (mosquitto's names 127.0.0.1, so a mismatch cannot be provoked there). The server answers
/// CONNECT with a CONNACK, so a successful handshake ends in a connected client.
final class LocalTLSServerTests: XCTestCase {
    private var directory: URL!
    private var server: (any Channel)?

    override func setUp() async throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent(TestBroker.uniqueID("tls-server"))
        _ = try CertificateAuthoritySetup.create(CertificateAuthorityOptions(directory: directory.path))
    }

    override func tearDown() async throws {
        try await server?.close()
        try? FileManager.default.removeItem(at: directory)
    }

    /// Starts a TLS server presenting a certificate for `hosts`, issued at `issuedAt` for `days` days.
    private func startServer(hosts: [String], issuedAt: Date = Date(), days: Int = 30) async throws -> (MQTTEndpoint, String) {
        var options = ServerIdentityOptions(directory: directory.path, hosts: hosts)
        options.now = issuedAt
        options.validityDays = days
        let files = try ServerIdentityIssuer.issue(options)
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMFile(files.chain).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(file: files.key, format: .pem)))
        configuration.minimumTLSVersion = .tlsv12
        let context = try NIOSSLContext(configuration: configuration)
        let log = FakeBrokerEndingTests.PeerLog()
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context))
                    try channel.pipeline.syncOperations.addHandler(FakeBrokerEndingTests.FakeBrokerHandler(log: log))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        server = channel
        return (MQTTEndpoint(host: "127.0.0.1", port: try XCTUnwrap(channel.localAddress?.port)), files.trustedRoot)
    }

    private func connect(_ endpoint: MQTTEndpoint, _ settings: TLSSettings) async throws -> MQTTClient {
        try await MQTTClient.connect(
            to: endpoint, tls: settings,
            configuration: MQTTConnectionConfiguration(clientIdentifier: TestBroker.uniqueID("local-tls")))
    }

    func testCertificateForAnotherHostIsAHostnameMismatch() async throws {
        let (endpoint, root) = try await startServer(hosts: ["other.example"])
        do {
            _ = try await connect(endpoint, TLSSettings(caFiles: [root]))
            XCTFail("connected although the certificate names only other.example")
        } catch let error as MQTTClientError {
            guard case .tls(let failure) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(failure.kind, .hostnameMismatch, failure.detail)
        }
    }

    func testTheSameCertificateIsAcceptedForTheNameItCarries() async throws {
        let (endpoint, root) = try await startServer(hosts: ["other.example"])
        let client = try await connect(endpoint, TLSSettings(caFiles: [root], serverName: "other.example"))
        XCTAssertNotNil(client.connectResult.timings.tlsHandshakeCompleted)
        await client.close(.abrupt)
    }

    func testNoHostnameVerificationAcceptsItOnlyWhenNamed() async throws {
        let (endpoint, root) = try await startServer(hosts: ["other.example"])
        let client = try await connect(endpoint, TLSSettings(caFiles: [root], verification: .noHostnameVerification))
        XCTAssertEqual(client.connectResult.connAck.reasonCode, .success)
        await client.close(.abrupt)
    }

    func testExpiredServerCertificateIsNotTrusted() async throws {
        let (endpoint, root) = try await startServer(hosts: ["127.0.0.1"], issuedAt: Date().addingTimeInterval(-10 * 86_400), days: 1)
        do {
            _ = try await connect(endpoint, TLSSettings(caFiles: [root]))
            XCTFail("connected although the server certificate expired")
        } catch let error as MQTTClientError {
            guard case .tls(let failure) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(failure.kind, .serverCertificateNotTrusted, failure.detail)
            XCTAssertTrue("\(error)".contains("expired"), "\(error)")
        }
    }
}
