import MQTTCore
import XCTest
@testable import MQTTClient
@testable import Probe

/// BoringSSL's error text carries the source path and line of the checkout that built fleet; neither
/// the probe nor a run summary (which shows `MQTTClientError`'s description) may pass it on.
final class TLSErrorTextTests: XCTestCase {
    private let buildPath = "/root/work/.build/checkouts/swift-nio-ssl/Sources/CNIOBoringSSL/ssl/handshake.cc:320"

    private func boring(_ reason: String, code: String = "1000007d") -> String {
        "sslError([Error: 268435581 error:\(code):SSL routines:OPENSSL_internal:\(reason) at \(buildPath)])"
    }

    /// Every place a TLS failure is shown: the client error (run summaries, ledger), the probe's diagnosis and its report.
    private func shown(_ failure: MQTTTLSFailure, presented: Bool) -> [String] {
        let diagnosis = TLSDiagnosis.explain(failure, presentedClientCertificate: presented)
        let report = ProbeReport(target: "mqtts://broker.example:8883",
                                 steps: [ProbeStepResult(step: .mutualTLS, outcome: .failed(diagnosis), duration: nil)])
        return ["\(MQTTClientError.tls(failure))", failure.detail, diagnosis.problem, diagnosis.hint, report.rendered()]
    }

    func testNoBuildPathOrErrorNumberReachesAnyOutput() {
        let reasons = ["CERTIFICATE_VERIFY_FAILED", "TLSV1_ALERT_UNKNOWN_CA", "SSLV3_ALERT_BAD_CERTIFICATE",
                       "TLSV13_ALERT_CERTIFICATE_REQUIRED", "WRONG_VERSION_NUMBER", "SOME_FUTURE_REASON"]
        for reason in reasons {
            for presented in [true, false] {
                for text in shown(MQTTTLSFailure(boringError: boring(reason), caNote: " (trusted CA files: /pki/root.pem)"),
                                  presented: presented) {
                    XCTAssertFalse(text.contains(buildPath), text)
                    XCTAssertFalse(text.contains("checkouts"), text)
                    XCTAssertFalse(text.contains("handshake.cc"), text)
                    XCTAssertFalse(text.contains("268435581"), text)
                    XCTAssertFalse(text.contains("OPENSSL_internal"), text)
                }
            }
        }
    }

    func testReasonsBecomePlainWordsAndKeepTheirCode() {
        let unknownCA = MQTTTLSFailure(boringError: boring("TLSV1_ALERT_UNKNOWN_CA", code: "10000418"))
        XCTAssertEqual(unknownCA.kind, .alertReceived)
        XCTAssertEqual(unknownCA.detail, "TLS alert \"unknown CA\" (TLSV1_ALERT_UNKNOWN_CA)")
        XCTAssertEqual("\(MQTTClientError.tls(unknownCA))",
                       "TLS failure: the server rejected our client certificate: TLS alert \"unknown CA\" (TLSV1_ALERT_UNKNOWN_CA)")
        XCTAssertEqual(MQTTTLSFailure(boringError: boring("WRONG_VERSION_NUMBER")).detail,
                       "the other side does not speak TLS (WRONG_VERSION_NUMBER)")
        XCTAssertEqual(MQTTTLSFailure(boringError: boring("SOME_FUTURE_REASON")).detail, "some future reason (SOME_FUTURE_REASON)")
    }

    func testTextWithoutAReasonCodeLosesItsPathToo() {
        let text = TLSErrorText.plain(boringText: "unknownError([Error: 1234 something odd at \(buildPath)])")
        XCTAssertFalse(text.contains("checkouts"), text)
        XCTAssertFalse(text.contains("1234"), text)
        XCTAssertTrue(text.contains("something odd"), text)
    }

    func testTheIdentityExplainsTheBrokersRefusal() {
        let refusal = MQTTTLSFailure(boringError: boring("TLSV1_ALERT_UNKNOWN_CA", code: "10000418"))
        var identity = ClientIdentityCheck(chainFile: "/missing/chain.pem", keyFile: "/missing/key.pem", caFiles: [])
        identity.blocking = nil
        identity.chainProblem = Diagnosis(problem: "the certificate was issued by CN=X", hint: "add the intermediate")
        let diagnosis = TLSDiagnosis.explain(refusal, presentedClientCertificate: true, identity: identity)
        XCTAssertEqual(diagnosis.problem,
                       "the certificate was issued by CN=X; the broker answered TLS alert \"unknown CA\" (TLSV1_ALERT_UNKNOWN_CA)")
        XCTAssertEqual(diagnosis.hint, "add the intermediate")
    }
}
