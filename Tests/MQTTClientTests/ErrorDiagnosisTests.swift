import MQTTCore
import NIOCore
import NIOPosix
import NIOSSL
import XCTest

@testable import MQTTClient

/// How raw NIO, NIOSSL and decoder errors become typed, readable `MQTTClientError`s.
final class ErrorDiagnosisTests: XCTestCase {
    private let endpoint = MQTTEndpoint(host: "broker.example", port: 8883)

    func testConnectTimeoutNamesAddressAndTimeout() {
        let error = MQTTClientError(connectError: ChannelError.connectTimeout(.seconds(3)), endpoint: endpoint)
        XCTAssertEqual(error, .connectTimeout(address: "broker.example:8883", timeout: .seconds(3)))
        XCTAssertEqual(error.description, "TCP connection to broker.example:8883 timed out after 3000 ms")
    }

    func testConnectionRefusedKeepsTheSystemReason() {
        let error = MQTTClientError(
            connectError: IOError(errnoCode: ECONNREFUSED, reason: "connect"), endpoint: endpoint)
        guard case .tcpConnectFailed(let address, let reason) = error else { return XCTFail("\(error)") }
        XCTAssertEqual(address, "broker.example:8883")
        XCTAssertTrue(reason.lowercased().contains("refused"), reason)
    }

    /// NIO's connect failure reads "connection reset (error set): Connection refused) (errno: 111)"; reports say
    /// what the system says, once.
    func testAConnectFailureReadsAsTheSystemsWordsAndItsErrno() {
        let error = MQTTClientError(
            connectError: IOError(errnoCode: ECONNREFUSED, reason: "connection reset (error set)"), endpoint: endpoint)
        XCTAssertEqual(error, .tcpConnectFailed(address: "broker.example:8883", reason: "connection refused (errno \(ECONNREFUSED))"))
        let reset = MQTTClientError(channelError: IOError(errnoCode: ECONNRESET, reason: "read"), trustedCAFiles: [])
        XCTAssertEqual(reset, .io("connection reset by peer (errno \(ECONNRESET))"))
    }

    func testHostnameMismatchIsClassified() {
        let failure = MQTTTLSFailure(NIOSSLExtraError.failedToValidateHostname)
        XCTAssertEqual(failure?.kind, .hostnameMismatch)
    }

    func testVerifyFailureNamesTheCAFiles() {
        let failure = MQTTTLSFailure(
            boringError: "sslError([Error: 268435581 error:1000007d:SSL routines:OPENSSL_internal:CERTIFICATE_VERIFY_FAILED])",
            caNote: " (trusted CA files: /pki/root.pem)")
        XCTAssertEqual(failure.kind, .serverCertificateNotTrusted)
        XCTAssertTrue(failure.description.contains("/pki/root.pem"))
        XCTAssertTrue(failure.description.contains("untrusted CA"))
    }

    func testAlertFromThePeerIsClassified() {
        let failure = MQTTTLSFailure(
            boringError: "sslError([Error: 268436592 error:10000470:SSL routines:OPENSSL_internal:TLSV13_ALERT_CERTIFICATE_REQUIRED])")
        XCTAssertEqual(failure.kind, .alertReceived)
    }

    func testDecoderErrorInThePipelineBecomesAProtocolViolation() {
        let decodeError = MQTTDecodeError(kind: .variableByteIntegerTooLong, packetType: nil, offset: 1, bytes: [0xFF])
        let error = MQTTClientError(channelError: decodeError, trustedCAFiles: [])
        guard case .protocolViolation(let violation) = error else { return XCTFail("\(error)") }
        XCTAssertEqual(violation.reasonCode, .malformedPacket)
        XCTAssertEqual(violation.decodeError, decodeError)
    }

    func testSNINeverCarriesAnIPAddress() {
        XCTAssertNil(MQTTConnector.sniName(serverName: nil, host: "127.0.0.1"))
        XCTAssertNil(MQTTConnector.sniName(serverName: "::1", host: "broker"))
        XCTAssertEqual(MQTTConnector.sniName(serverName: nil, host: "broker.example"), "broker.example")
        XCTAssertEqual(MQTTConnector.sniName(serverName: "mqtt.example", host: "10.0.0.1"), "mqtt.example")
    }

    func testRefusalDescriptionsCarryNameAndReasonString() {
        XCTAssertEqual(
            MQTTClientError.connectionRefused(.notAuthorized, reasonString: "ACL").description,
            "CONNACK refused: Not authorized (0x87): ACL")
        XCTAssertTrue(
            MQTTClientError.serverDisconnected(.sessionTakenOver, reasonString: nil).description.contains("Session taken over"))
    }
}
