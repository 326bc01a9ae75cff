import MQTTCore
import XCTest

final class BrokerURLTests: XCTestCase {
    func testDefaultsPortsFromScheme() throws {
        XCTAssertEqual(try BrokerURL(parsing: "mqtt://127.0.0.1"), BrokerURL(scheme: .mqtt, host: "127.0.0.1", port: 1883))
        XCTAssertEqual(try BrokerURL(parsing: "mqtts://broker.example"), BrokerURL(scheme: .mqtts, host: "broker.example", port: 8883))
        XCTAssertEqual(try BrokerURL(parsing: "ws://broker.example"), BrokerURL(scheme: .ws, host: "broker.example", port: 80))
        XCTAssertEqual(try BrokerURL(parsing: "wss://broker.example"), BrokerURL(scheme: .wss, host: "broker.example", port: 443))
    }

    func testExplicitPortIPv6AndTrailingSlash() throws {
        XCTAssertEqual(try BrokerURL(parsing: "MQTTS://localhost:8884/"), BrokerURL(scheme: .mqtts, host: "localhost", port: 8884))
        XCTAssertEqual(try BrokerURL(parsing: "mqtt://[::1]:1884"), BrokerURL(scheme: .mqtt, host: "::1", port: 1884))
        XCTAssertEqual(try BrokerURL(parsing: "mqtt://[::1]:1884").description, "mqtt://[::1]:1884")
    }

    func testWebSocketPathsDefaultToSlashMQTTAndKeepTheirQuery() throws {
        let plain = try BrokerURL(parsing: "ws://127.0.0.1:8080")
        XCTAssertEqual(plain.path, "/mqtt")
        XCTAssertEqual(try BrokerURL(parsing: "ws://127.0.0.1:8080/").path, "/mqtt")
        let hub = try BrokerURL(parsing: "wss://hub.azure-devices.net/$iothub/websocket?iothub-no-client-cert=true")
        XCTAssertEqual(hub.path, "/$iothub/websocket?iothub-no-client-cert=true")
        XCTAssertEqual(hub.port, 443)
        XCTAssertTrue(hub.usesTLS)
        XCTAssertEqual(hub.description, "wss://hub.azure-devices.net:443/$iothub/websocket?iothub-no-client-cert=true")
        XCTAssertNil(try BrokerURL(parsing: "mqtt://h").path)
    }

    func testRejectsWhatIsNotABrokerURL() {
        for (text, problem) in [
            ("http://x", "unsupported scheme `http`"),
            ("x", "no scheme"),
            ("mqtt://", "host is missing"),
            ("ws:///mqtt", "host is missing"),
            ("mqtt://h:0", "port"),
            ("mqtt://h:99999", "port"),
            ("mqtt://h:12ab", "port"),
            ("mqtt://h/topic", "only ws:// and wss://"),
            ("mqtt://[::1", "closing ]"),
            ("mqtt://user@h", "credentials"),
        ] {
            XCTAssertThrowsError(try BrokerURL(parsing: text), text) { error in
                XCTAssertTrue("\(error)".contains(problem), "\(text): \(error)")
            }
        }
    }
}
