import Scenario
import XCTest

/// Brokers reached over WebSocket (ws://, wss://, a lab broker's `websocket:`) and ALPN, as the loader reads them.
final class WebSocketBrokerParsingTests: XCTestCase {
    private static let body = """
        groups:
          - { name: g, count: 1, client-id: "d-{index}", personality: custom }
        timeline:
          - { at: 0s, ramp: { over: 1s } }
        """

    private func broker(_ broker: String, options: ScenarioLoader.Options = .init()) throws -> BrokerSpec {
        try ScenarioLoader.parse(yaml: "broker: \(broker)\n" + Self.body, path: "test.yaml", options: options).broker
    }

    func testWebSocketURLsCarryTheirPathAndDefaultPorts() throws {
        let plain = try broker("ws://127.0.0.1:8080")
        XCTAssertEqual(plain.webSocketPath, "/mqtt")
        XCTAssertEqual(plain.port, 8080)
        XCTAssertFalse(plain.tls)
        let hub = try broker("{ url: \"wss://hub.azure-devices.net/$iothub/websocket\", alpn: mqtt }")
        XCTAssertEqual(hub.webSocketPath, "/$iothub/websocket")
        XCTAssertEqual(hub.port, 443)
        XCTAssertTrue(hub.tls)
        XCTAssertEqual(hub.alpn, ["mqtt"])
        XCTAssertNil(try broker("mqtts://h").webSocketPath)
    }

    func testTheBrokerOverrideMayBeAWebSocketURL() throws {
        let spec = try broker("mqtt://127.0.0.1:1883", options: .init(brokerOverride: "wss://127.0.0.1:8443/ws"))
        XCTAssertEqual(spec.webSocketPath, "/ws")
        XCTAssertTrue(spec.tls)
    }

    func testTheLabBrokerServesWebSocketAtItsProfilesPath() throws {
        XCTAssertEqual(try broker("{ url: lab, websocket: true }").webSocketPath, "/mqtt")
        XCTAssertEqual(try broker("{ url: \"lab:iothub\", websocket: true, protocol: \"3.1.1\" }").webSocketPath, "/$iothub/websocket")
        XCTAssertEqual(try broker("{ url: lab, websocket: /custom }").webSocketPath, "/custom")
        XCTAssertNil(try broker("{ url: lab, websocket: false }").webSocketPath)
        let resolved = try broker("{ url: \"lab:iothub\", websocket: true, protocol: \"3.1.1\" }").resolvingLab(port: 4443, caFile: "ca.pem")
        XCTAssertEqual(resolved.url, "wss://127.0.0.1:4443/$iothub/websocket")
    }

    func testMisplacedWebSocketAndALPNSettingsAreErrors() {
        let external = "broker:\n  url: mqtt://127.0.0.1:1883\n  websocket: true\n" + Self.body
        assertSingleError(external, line: 3, column: 3, mentions: "`websocket` applies to the lab broker only",
                          hint: "ws://host:port/path")
        let badValue = "broker:\n  url: lab\n  websocket: yes please\n" + Self.body
        assertSingleError(badValue, line: 3, column: 14, mentions: "`websocket` must be true, false or a path")
        let plainALPN = "broker:\n  url: ws://127.0.0.1:8080\n  alpn: [mqtt]\n" + Self.body
        assertSingleError(plainALPN, line: 3, column: 3, mentions: "`alpn` is offered in the TLS handshake", hint: "wss://")
        let longName = "broker:\n  url: mqtts://127.0.0.1:8883\n  alpn: [\(String(repeating: "a", count: 256))]\n" + Self.body
        assertSingleError(longName, line: 3, column: 9, mentions: "at most 255 bytes")
    }

    func testABrokerURLWithAPathThatIsNotWebSocketIsAnError() {
        let yaml = "broker: mqtt://127.0.0.1:1883/mqtt\n" + Self.body
        assertSingleError(yaml, line: 1, column: 9, mentions: "only ws:// and wss://", hint: "wss://host:port/path")
    }

    /// An MQTT 3.1.1-only broker (amqtt) leaves an MQTT 5 CONNECT unanswered: the observers speak what the
    /// broker section says, unless the observer section says otherwise.
    func testObserversSpeakTheBrokersProtocolUnlessTold() throws {
        let plain = try ScenarioLoader.parse(yaml: "broker: { url: \"ws://127.0.0.1:8080\", protocol: \"3.1.1\" }\n" + Self.body,
                                             path: "test.yaml")
        XCTAssertEqual(plain.observer.protocolVersion, .v3_1_1)
        let told = try ScenarioLoader.parse(
            yaml: "broker: { url: \"ws://127.0.0.1:8080\", protocol: \"3.1.1\" }\nobserver: { protocol: \"5\" }\n" + Self.body,
            path: "test.yaml")
        XCTAssertEqual(told.observer.protocolVersion, .v5)
        XCTAssertEqual(try broker("mqtt://127.0.0.1:1883").protocolVersion, nil)
        let unsaid = try ScenarioLoader.parse(yaml: "broker: mqtt://127.0.0.1:1883\n" + Self.body, path: "test.yaml")
        XCTAssertEqual(unsaid.observer.protocolVersion, .v5)
    }
}
