import MQTTClient
import MQTTCore
import NIOCore
import XCTest
@testable import Probe

/// `fleet probe` end to end against the real test broker: the successes and the diagnoses the
/// foundation issue asks for (no listener, wrong CA, missing client certificate, dropped will).
final class ProberTests: XCTestCase {
    private func options(_ url: String, version: MQTTProtocolVersion = .v5_0) throws -> ProbeOptions {
        ProbeOptions(url: try BrokerURL(parsing: url), clientID: TestBroker.uniqueID("probe"), version: version,
                     willTimeout: .seconds(2), timeout: .seconds(3))
    }

    private func will(_ topic: String) -> Will {
        Will(topic: topic, payload: ByteBuffer(string: "offline"), qos: .atLeastOnce)
    }

    private func outcome(_ report: ProbeReport, _ step: ProbeStep) -> ProbeOutcome? { report.result(of: step)?.outcome }

    private func failure(_ report: ProbeReport, _ step: ProbeStep, file: StaticString = #filePath, line: UInt = #line) -> Diagnosis? {
        guard case .failed(let diagnosis) = outcome(report, step) else {
            XCTFail("\(step) should have failed:\n\(report.rendered())", file: file, line: line)
            return nil
        }
        return diagnosis
    }

    func testPlainListenerPassesEveryStepInBothVersions() async throws {
        for version in [MQTTProtocolVersion.v3_1_1, .v5_0] {
            var options = try options("mqtt://127.0.0.1:\(TestBroker.plainPort)", version: version)
            options.roundTripTopic = "probe/\(options.clientID)/echo"
            options.will = will("probe/\(options.clientID)/status")
            let report = await Prober().run(options)
            XCTAssertTrue(report.succeeded, report.rendered())
            XCTAssertEqual(report.steps.map(\.step), ProbeStep.allCases)
            guard case .passed(let detail) = outcome(report, .will) else { return XCTFail(report.rendered()) }
            XCTAssertTrue(detail.contains("arrived"), detail)
        }
    }

    func testMutualTLSListenerAcceptsTheDeviceIdentity() async throws {
        var options = try options("mqtts://localhost:\(TestBroker.mutualTLSPort)")
        options.tls = TLSSettings(caFiles: [TestBroker.file("root.pem")], certificateChainFile: TestBroker.file("device-1.pem"),
                                  privateKeyFile: TestBroker.file("device-1.key"))
        options.roundTripTopic = "probe/\(options.clientID)/echo"
        options.will = will("probe/\(options.clientID)/status")
        let report = await Prober().run(options)
        XCTAssertTrue(report.succeeded, report.rendered())
        guard case .passed = outcome(report, .mutualTLS) else { return XCTFail(report.rendered()) }
    }

    func testNoListenerIsDiagnosedAtTCP() async throws {
        let report = await Prober().run(try options("mqtt://127.0.0.1:1"))
        XCTAssertEqual(failure(report, .tcp)?.problem.contains("connection refused"), true)
        XCTAssertEqual(outcome(report, .connect), .skipped("an earlier step failed"))
    }

    func testWrongCAIsDiagnosedAtTLS() async throws {
        var options = try options("mqtts://localhost:\(TestBroker.tlsPort)")
        options.tls = TLSSettings(caFiles: [TestBroker.file("foreign-root.pem")])
        let report = await Prober().run(options)
        XCTAssertEqual(failure(report, .tls)?.problem.contains("does not lead to a trusted CA"), true)
    }

    func testMissingClientCertificateIsDiagnosed() async throws {
        var options = try options("mqtts://localhost:\(TestBroker.mutualTLSPort)")
        options.tls = TLSSettings(caFiles: [TestBroker.file("root.pem")])
        let report = await Prober().run(options)
        XCTAssertEqual(outcome(report, .mutualTLS), .skipped("no client certificate given (--cert, --key)"))
        XCTAssertEqual(failure(report, .connect)?.problem, "the broker requires a client certificate and none was sent")
    }

    func testWillOnADeniedTopicIsReportedAsNeverArriving() async throws {
        var options = try options("mqtt://127.0.0.1:\(TestBroker.aclPort)")
        options.will = will("forbidden/\(options.clientID)/status")
        let report = await Prober().run(options)
        guard case .passed = outcome(report, .connect) else {
            return XCTFail("mosquitto accepts the CONNECT and drops the will later:\n\(report.rendered())")
        }
        XCTAssertEqual(failure(report, .will)?.problem.contains("never arrived"), true)
    }

    func testSubscriptionRefusalOrSilentDropIsReportedInTheRoundTrip() async throws {
        var options = try options("mqtt://127.0.0.1:\(TestBroker.aclPort)")
        options.roundTripTopic = "forbidden/\(options.clientID)/echo"
        let report = await Prober().run(options)
        XCTAssertNotNil(failure(report, .roundTrip))
    }
}
