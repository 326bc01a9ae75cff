import LabBroker
import XCTest

/// Every topic name and filter form IoT Hub documents, and the near misses it refuses.
final class IoTHubTopicTests: XCTestCase {
    private let endpoint = IoTHubDeviceEndpoint(rules: IoTHubRules())
    private let device = "sensor-01"

    func testTelemetryForms() {
        for topic in [
            "devices/sensor-01/messages/events/",
            "devices/sensor-01/messages/events",
            "devices/sensor-01/messages/events/a=1&b=2",
            "devices/sensor-01/messages/events/$.ct=application%2Fjson%3Bcharset%3Dutf-8",
            "devices/sensor-01/messages/events/flag",
            "devices/sensor-01/messages/events/empty=",
            "devices/sensor-01/messages/events/name=caf%C3%A9&x=(1),2;3:4@5!*'~",
        ] {
            XCTAssertTrue(endpoint.allowsPublish(topic: topic, deviceID: device), topic)
        }
    }

    func testTelemetryNearMisses() {
        for topic in [
            "devices/sensor-02/messages/events/",  // another device
            "devices/sensor-0/messages/events/",  // a prefix of the ID
            "devices/sensor-01x/messages/events/",
            "devices/sensor-01/messages/event/",
            "devices/sensor-01/messages/events/a=1/b=2",  // a further level
            "devices/sensor-01/messages/events//",
            "devices/sensor-01/messages/events/=1",  // no name
            "devices/sensor-01/messages/events/a=1&&b=2",
            "devices/sensor-01/messages/events/a=1=2",
            "devices/sensor-01/messages/events/a=%2",  // truncated escape
            "devices/sensor-01/messages/events/a=%zz",
            "devices/sensor-01/messages/events/a=%C3",  // escape decodes to broken UTF-8
            "devices/sensor-01/messages/events/a=b c",  // raw space
            "devices/sensor-01/messages/events/a=café",  // raw non-ASCII must be escaped
            "devices/sensor-01/messages/events/?a=1",
            "devices/sensor-01/messages/devicebound/",  // hub-to-device only
            "devices/sensor-01",
            "devices/",
            "telemetry/sensor-01",
            "",
        ] {
            XCTAssertFalse(endpoint.allowsPublish(topic: topic, deviceID: device), topic)
        }
    }

    func testServiceTopicsDevicesMayPublish() {
        for topic in [
            "$iothub/twin/GET/?$rid=1",
            "$iothub/twin/GET/?$rid=f00d-42",
            "$iothub/twin/PATCH/properties/reported/?$rid=7",
            "$iothub/twin/PATCH/properties/reported/?$rid=7&extra=1",
            "$iothub/methods/res/200/?$rid=12",
            "$iothub/methods/res/500/?$rid=a%20b",
        ] {
            XCTAssertTrue(endpoint.allowsPublish(topic: topic, deviceID: device), topic)
        }
    }

    func testServiceTopicNearMisses() {
        for topic in [
            "$iothub/twin/GET/",  // no $rid
            "$iothub/twin/GET/?",
            "$iothub/twin/GET/?$rid=",
            "$iothub/twin/GET/?$rid",
            "$iothub/twin/GET/?rid=1",
            "$iothub/twin/GET/?$rid=1&$rid=2",
            "$iothub/twin/GET/$rid=1",
            "$iothub/twin/GET?$rid=1",
            "$iothub/twin/get/?$rid=1",
            "$iothub/twin/GET/?$rid=1/x",
            "$iothub/twin/GET/?$rid=" + String(repeating: "9", count: IoTHubTopics.maximumRequestIDBytes + 1),
            "$iothub/twin/PATCH/properties/desired/?$rid=1",  // hub-to-device only
            "$iothub/twin/PATCH/properties/reported/",
            "$iothub/twin/res/200/?$rid=1",
            "$iothub/methods/res/abc/?$rid=1",
            "$iothub/methods/res//?$rid=1",
            "$iothub/methods/res/-1/?$rid=1",
            "$iothub/methods/res/1234567890/?$rid=1",
            "$iothub/methods/res/200?$rid=1",
            "$iothub/methods/res/200/$rid=1",
            "$iothub/methods/POST/reboot/?$rid=1",
            "$iothub/other",
        ] {
            XCTAssertFalse(endpoint.allowsPublish(topic: topic, deviceID: device), topic)
        }
    }

    func testClassificationKeepsRequestIDAndStatus() {
        XCTAssertEqual(IoTHubTopics.classify("$iothub/twin/GET/?$rid=abc", deviceID: device), .twinGet(requestID: "abc"))
        XCTAssertEqual(
            IoTHubTopics.classify("$iothub/twin/PATCH/properties/reported/?x=1&$rid=9", deviceID: device),
            .reportedPatch(requestID: "9"))
        XCTAssertEqual(
            IoTHubTopics.classify("$iothub/methods/res/404/?$rid=33", deviceID: device),
            .methodResponse(status: 404, requestID: "33"))
        XCTAssertEqual(
            IoTHubTopics.classify("devices/sensor-01/messages/events/a=1", deviceID: device),
            .telemetry(propertyBag: "a=1"))
        XCTAssertEqual(
            IoTHubTopics.classify("devices/sensor-01/messages/events", deviceID: device), .telemetry(propertyBag: ""))
    }

    func testDocumentedFilters() {
        for filter in [
            "devices/sensor-01/messages/devicebound/#", "$iothub/twin/res/#",
            "$iothub/twin/PATCH/properties/desired/#", "$iothub/methods/POST/#",
        ] {
            XCTAssertTrue(endpoint.allowsSubscribe(filter: filter, deviceID: device), filter)
        }
    }

    func testFiltersThatWidenOrDifferAreDenied() {
        for filter in [
            "devices/+/messages/devicebound/#",  // every device's messages
            "devices/sensor-02/messages/devicebound/#",
            "devices/sensor-01/messages/devicebound/+",
            "devices/sensor-01/messages/devicebound/",
            "devices/sensor-01/messages/devicebound",
            "devices/sensor-01/messages/#",
            "devices/sensor-01/#",
            "devices/sensor-01/messages/events/#",
            "devices/#",
            "#",
            "+/+/+/+/#",
            "$iothub/#",
            "$iothub/twin/#",
            "$iothub/twin/res/+",
            "$iothub/twin/res/200/#",
            "$iothub/twin/res/#/",
            "$iothub/twin/PATCH/properties/#",
            "$iothub/twin/PATCH/properties/reported/#",
            "$iothub/methods/#",
            "$iothub/methods/POST/+",
            "$iothub/methods/POST/reboot/#",
            "$share/g/$iothub/twin/res/#",
            "",
        ] {
            XCTAssertFalse(endpoint.allowsSubscribe(filter: filter, deviceID: device), filter)
        }
    }

    func testDeviceIDsThatAreWildcardsCannotWidenTheirFilter() {
        XCTAssertFalse(endpoint.allowsSubscribe(filter: "devices/+/messages/devicebound/#", deviceID: "+"))
        XCTAssertFalse(endpoint.allowsSubscribe(filter: "devices/#/messages/devicebound/#", deviceID: "#"))
        XCTAssertFalse(endpoint.allowsSubscribe(filter: "devices/a+b/messages/devicebound/#", deviceID: "a+b"))
        XCTAssertTrue(endpoint.allowsSubscribe(filter: "$iothub/twin/res/#", deviceID: "+"))
    }

    func testInvalidDeviceIDsGetNoDeviceTopics() {
        for id in ["", "a/b", "a b", "café", String(repeating: "x", count: 129)] {
            XCTAssertFalse(IoTHubTopics.isValidDeviceID(id), id)
            XCTAssertFalse(endpoint.allowsPublish(topic: "devices/\(id)/messages/events/", deviceID: id), id)
            XCTAssertFalse(endpoint.allowsSubscribe(filter: "devices/\(id)/messages/devicebound/#", deviceID: id), id)
        }
        for id in ["a", "Dev-1:2.3+4%5_6#7*8?9!(0),=@;$'", String(repeating: "x", count: 128)] {
            XCTAssertTrue(IoTHubTopics.isValidDeviceID(id), id)
        }
    }
}
