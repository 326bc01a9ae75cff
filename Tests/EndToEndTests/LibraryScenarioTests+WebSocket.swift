import Foundation
import XCTest

/// The will files of the library played over MQTT over WebSocket, to the verdicts they reach over TCP: on a
/// real broker's WebSocket listeners (amqtt, started by `Scripts/test-broker.sh`: 8080 ws, 8443 wss with the
/// test PKI), and on the lab broker's for what amqtt lacks (MQTT 5's graceful-with-will; wills on keep-alive
/// expiry).
///
/// Each file is played from a copy whose `broker` section is replaced (`websocketCopy`): devices, observers and
/// the controller all connect over WebSocket, and the copy says `protocol: "3.1.1"` for amqtt so that the
/// observers do not send it an MQTT 5 CONNECT, which it leaves unanswered.
extension LibraryScenarioTests {
    static let amqttWebSocket = "ws://127.0.0.1:8080/mqtt"
    static let amqttSecureWebSocket = "wss://127.0.0.1:8443/mqtt"
    static let amqttTCP = "mqtt://127.0.0.1:1885"

    /// Abrupt endings (TCP reset beneath the WebSocket): a will each, on time.
    func testLwtAbruptDisconnectOverWebSocketOnAmqtt() throws {
        try playOverWebSocket("lwt-abrupt-disconnect", broker: "url: \(Self.amqttWebSocket)\n  protocol: \"3.1.1\"")
    }

    /// Silent endings (no bytes at all, not even a WebSocket pong): a will each after keep-alive expiry.
    func testLwtKeepaliveExpiryOverWebSocketOnLabBroker() throws {
        try playOverWebSocket("lwt-keepalive-expiry", broker: "url: lab\n  websocket: true")
    }

    /// The same file over amqtt's WebSocket and TCP listeners reaches the same verdicts, whatever they are:
    /// amqtt 0.12.1 publishes no will when a silent client's keep-alive expires, and `fleet` says so over
    /// both transports alike.
    func testKeepaliveVerdictsOverWebSocketEqualThoseOverTCPOnAmqtt() throws {
        var verdicts: [String: [Verdict]] = [:]
        for url in [Self.amqttWebSocket, Self.amqttTCP] {
            let path = try websocketCopy(of: "lwt-keepalive-expiry", broker: "url: \(url)\n  protocol: \"3.1.1\"",
                                         suffix: url.hasPrefix("ws") ? "over-websocket" : "over-tcp")
            let report = try FleetBinary.run(scenario: path).report()
            verdicts[url] = report.expectations.map { Verdict(name: $0.name, passed: $0.passed) }
        }
        XCTAssertEqual(verdicts[Self.amqttWebSocket], verdicts[Self.amqttTCP])
        XCTAssertEqual(verdicts[Self.amqttTCP]?.count, 6, "every expectation of the file judged")
    }

    /// Mutual TLS under the WebSocket: expired device certificates are refused in the handshake, the others
    /// and the observer (with a certificate of its own) connect.
    func testExpiredDeviceCertificateOverSecureWebSocketOnAmqtt() throws {
        try TestCertificates.ensure()
        try playOverWebSocket("expired-device-certificate",
                              broker: "url: \(Self.amqttSecureWebSocket)\n  ca: .test-broker/pki/root.pem\n  protocol: \"3.1.1\"")
    }

    /// Graceful endings (DISCONNECT, then the WebSocket close handshake): no will; graceful-with-will (MQTT 5
    /// DISCONNECT 0x04): a will.
    func testGracefulDisconnectNoLwtOverWebSocketOnLabBroker() throws {
        try playOverWebSocket("graceful-disconnect-no-lwt", broker: "url: lab\n  websocket: true")
    }

    /// IoT Hub over WebSocket at `/$iothub/websocket` with SAS devices (a DPS group key): C2D and a direct method
    /// answered, and an expired token refused with its reason, each time the device retries.
    func testIothubSasWebsocket() throws {
        let run = try play()
        let report = try run.report()
        XCTAssertTrue(report.latency.contains { $0.phase == .webSocketUpgrade && $0.summary.count == 4 },
                      "each device's upgrade measured: \(report.latency.map(\.phase))")
        let credentials = try XCTUnwrap(report.credentials, "the refusals are in the credentials section")
        XCTAssertEqual(Set(credentials.reasons.keys), ["ws-meter-03", "ws-meter-04"], "the devices the sas-fault step picks")
        for (device, reason) in credentials.reasons {
            XCTAssertTrue(reason.contains("Bad User Name or Password (0x86)") && reason.contains("expired SAS token"),
                          "\(device): \(reason)")
        }
        XCTAssertGreaterThanOrEqual(credentials.refusedConnects.total, 4, "refused again at each retry")
    }

    /// Plays a copy of the library file `name` whose broker section is `broker`, and checks the run as
    /// `play(test:)` does (the file's verdicts, every step's selected devices).
    private func playOverWebSocket(_ name: String, broker: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let path = try websocketCopy(of: name, broker: broker)
        let run = try play(path: path, label: "\(name) over WebSocket", file: file, line: line)
        let report = try run.report()
        XCTAssertTrue(report.latency.contains { $0.phase == .webSocketUpgrade && $0.summary.count > 0 },
                      "\(name): the WebSocket upgrade is measured as a phase of its own", file: file, line: line)
    }

    /// Writes `Scenarios/<name>.yaml` with its `broker:` section replaced into `.test-broker/` (ignored by git),
    /// returning the copy's path relative to the repository root.
    private func websocketCopy(of name: String, broker: String, suffix: String = "over-websocket") throws -> String {
        let source = try String(contentsOf: FleetBinary.repository.appendingPathComponent(LibraryScenarios.path(name)), encoding: .utf8)
        var lines = source.components(separatedBy: "\n")
        let start = try XCTUnwrap(lines.firstIndex(of: "broker:"), "\(name) has a `broker:` section")
        let end = lines[(start + 1)...].firstIndex { !$0.hasPrefix(" ") } ?? lines.endIndex
        lines.replaceSubrange(start..<end, with: ["broker:", "  " + broker])
        let path = ".test-broker/\(name)-\(suffix).yaml"
        try lines.joined(separator: "\n").write(to: FleetBinary.repository.appendingPathComponent(path), atomically: true, encoding: .utf8)
        return path
    }
}
