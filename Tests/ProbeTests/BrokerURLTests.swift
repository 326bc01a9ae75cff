import XCTest
@testable import Probe

final class BrokerURLTests: XCTestCase {
    func testDefaultsPortsFromScheme() throws {
        XCTAssertEqual(try BrokerURL(parsing: "mqtt://127.0.0.1"), BrokerURL(host: "127.0.0.1", port: 1883, usesTLS: false))
        XCTAssertEqual(try BrokerURL(parsing: "mqtts://broker.example"), BrokerURL(host: "broker.example", port: 8883, usesTLS: true))
    }

    func testExplicitPortIPv6AndTrailingSlash() throws {
        XCTAssertEqual(try BrokerURL(parsing: "MQTTS://localhost:8884/"), BrokerURL(host: "localhost", port: 8884, usesTLS: true))
        XCTAssertEqual(try BrokerURL(parsing: "mqtt://[::1]:1884"), BrokerURL(host: "::1", port: 1884, usesTLS: false))
        XCTAssertEqual(try BrokerURL(parsing: "mqtt://[::1]:1884").description, "mqtt://[::1]:1884")
    }

    func testRejectsWhatIsNotABrokerURL() {
        for (text, problem) in [
            ("http://x", "mqtt:// or mqtts://"),
            ("mqtt://", "host is missing"),
            ("mqtt://h:0", "port"),
            ("mqtt://h:99999", "port"),
            ("mqtt://h:12ab", "port"),
            ("mqtt://h/topic", "no path"),
            ("mqtt://[::1", "closing ]"),
        ] {
            XCTAssertThrowsError(try BrokerURL(parsing: text), text) { error in
                XCTAssertTrue("\(error)".contains(problem), "\(text): \(error)")
            }
        }
    }
}
