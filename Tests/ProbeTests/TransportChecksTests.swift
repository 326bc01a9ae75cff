import MQTTClient
import NIOCore
import NIOPosix
import XCTest
@testable import Probe

/// The transport checks against the real test broker (Scripts/test-broker.sh).
final class TransportChecksTests: XCTestCase {
    private let checks = TransportChecks(group: MultiThreadedEventLoopGroup.singleton, timeout: .seconds(5), sourceAddress: nil)

    private func address(_ port: Int) throws -> SocketAddress {
        try SocketAddress(ipAddress: TestBroker.host, port: port)
    }

    func testTCPReachesTheBrokerAndNamesARefusal() async throws {
        let reached = await checks.tcp(to: try address(TestBroker.plainPort))
        XCTAssertNil(reached)
        let refused = await checks.tcp(to: try address(1))
        XCTAssertEqual(refused?.problem.contains("connection refused"), true, "\(String(describing: refused))")
    }

    /// Other socket errors read as the system's words and errno, as run summaries do.
    func testOtherConnectErrorsReadAsTheSystemSaysThem() throws {
        let diagnosis = TransportChecks.diagnoseTCP(
            IOError(errnoCode: ETIMEDOUT, reason: "connection reset (error set)"), address: try address(1), timeout: .seconds(1))
        XCTAssertEqual(diagnosis.problem, "TCP connect to \(TestBroker.host):1 failed: connection timed out (errno \(ETIMEDOUT))")
    }

    func testServerOnlyTLSWithTheRightCA() async throws {
        let result = await checks.tls(
            to: try address(TestBroker.tlsPort), host: "localhost",
            settings: TLSSettings(caFiles: [TestBroker.file("root.pem")]), alertWindow: .zero)
        XCTAssertEqual(try result.get().hasPrefix("TLS 1."), true)
    }

    func testWrongCAIsDiagnosedAsSuch() async throws {
        let result = await checks.tls(
            to: try address(TestBroker.tlsPort), host: "localhost",
            settings: TLSSettings(caFiles: [TestBroker.file("foreign-root.pem")]), alertWindow: .zero)
        guard case .failure(let diagnosis) = result else { return XCTFail("a foreign CA must not be accepted") }
        XCTAssertTrue(diagnosis.problem.contains("does not lead to a trusted CA"), diagnosis.problem)
    }

    func testHostnameMismatchIsDiagnosed() async throws {
        let result = await checks.tls(
            to: try address(TestBroker.tlsPort), host: "127.0.0.1",
            settings: TLSSettings(caFiles: [TestBroker.file("root.pem")], serverName: "broker.example"), alertWindow: .zero)
        guard case .failure(let diagnosis) = result else { return XCTFail("the name must be checked") }
        XCTAssertTrue(diagnosis.problem.contains("not broker.example"), diagnosis.problem)
    }

    func testMutualTLSWithTheDeviceChain() async throws {
        let result = await checks.tls(
            to: try address(TestBroker.mutualTLSPort), host: "127.0.0.1",
            settings: TLSSettings(
                caFiles: [TestBroker.file("root.pem")],
                certificateChainFile: TestBroker.file("device-1.pem"),
                privateKeyFile: TestBroker.file("device-1.key")),
            alertWindow: .milliseconds(300))
        XCTAssertNoThrow(try result.get())
    }

    func testMutualTLSWithoutTheIntermediateIsRefusedByTheBroker() async throws {
        let result = await checks.tls(
            to: try address(TestBroker.mutualTLSPort), host: "127.0.0.1",
            settings: TLSSettings(
                caFiles: [TestBroker.file("root.pem")],
                certificateChainFile: TestBroker.file("device-1.leaf.pem"),
                privateKeyFile: TestBroker.file("device-1.key")),
            alertWindow: .milliseconds(500))
        guard case .failure(let diagnosis) = result else { return XCTFail("a chain without its intermediate must be refused") }
        XCTAssertTrue(diagnosis.problem.contains("does not trust the CA"), "\(diagnosis)")
    }
}
