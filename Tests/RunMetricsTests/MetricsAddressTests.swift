import RunMetrics
import XCTest

final class MetricsAddressTests: XCTestCase {
    func testBarePortBindsLoopback() {
        XCTAssertEqual(MetricsAddress("9464"), MetricsAddress(host: "127.0.0.1", port: 9464))
    }

    func testHostAndPort() {
        XCTAssertEqual(MetricsAddress("0.0.0.0:9100"), MetricsAddress(host: "0.0.0.0", port: 9100))
        XCTAssertEqual(MetricsAddress("localhost:0"), MetricsAddress(host: "localhost", port: 0))
    }

    func testBracketedIPv6() {
        let address = MetricsAddress("[::1]:9464")
        XCTAssertEqual(address, MetricsAddress(host: "::1", port: 9464))
        XCTAssertEqual(address?.description, "[::1]:9464")
    }

    func testRejectsMissingOrBadPorts() {
        for text in ["", "host:", ":9464", "host:http", "host:70000", "::1:9464", "[::1]", "[::1]9464", "-1"] {
            XCTAssertNil(MetricsAddress(text), text)
        }
    }
}
