import LabBroker
import MQTTCore
import NIOCore
import XCTest

/// The URL-encoded property bags and queries of IoT Hub topics.
final class IoTHubPropertyBagTests: XCTestCase {
    func testEncodingEscapesEverythingButUnreservedCharacters() {
        let bag: IoTHubPropertyBag = [
            "a b": "x&y=z", "$.mid": "42", "city": "Zürich", "path": "/devices/d1", "tilde-ok_.~": "~",
        ]
        XCTAssertEqual(
            bag.encoded,
            "a%20b=x%26y%3Dz&%24.mid=42&city=Z%C3%BCrich&path=%2Fdevices%2Fd1&tilde-ok_.~=~")
    }

    func testNullAndEmptyValuesFollowIoTHubsRepresentation() {
        // IoT Hub's table: null → `key`, empty string → `key=`, otherwise `key=value`.
        let bag: IoTHubPropertyBag = ["prop1": nil, "prop2": "", "prop3": "a string"]
        XCTAssertEqual(bag.encoded, "prop1&prop2=&prop3=a%20string")
        XCTAssertEqual(IoTHubPropertyBag(encoded: "prop1&prop2=&prop3=a%20string"), bag)
    }

    func testDecodingRoundTripsNonASCII() throws {
        let bag: IoTHubPropertyBag = ["emoji 🚀": "日本語 & more", "ключ": "значение=1"]
        let decoded = try XCTUnwrap(IoTHubPropertyBag(encoded: bag.encoded[...]))
        XCTAssertEqual(decoded, bag)
        XCTAssertEqual(decoded.first(named: "emoji 🚀")?.value, "日本語 & more")
        XCTAssertEqual(decoded.first(named: "ключ")?.value, "значение=1")
        XCTAssertNil(decoded.first(named: "absent"))
    }

    func testDecodingAcceptsLowercaseHexAndRawMarks() {
        XCTAssertEqual(
            IoTHubPropertyBag(encoded: "$.ct=application%2fjson&k=(a),b;c:d@e!*'"),
            ["$.ct": "application/json", "k": "(a),b;c:d@e!*'"])
        XCTAssertEqual(IoTHubPropertyBag(encoded: ""), IoTHubPropertyBag())
    }

    func testMalformedBagsAreRefused() {
        for bag in [
            "=v", "&", "a&", "&a", "a=1&&b", "a=1=2", "a=%", "a=%4", "a=%G1", "a=%FF", "a=%C3%28", "a=%ED%A0%80",
            "a b=1", "a=é", "a=/", "a=?", "a=#", "a=+", "a=\u{7F}", "a=\n",
        ] {
            XCTAssertNil(IoTHubPropertyBag(encoded: bag[...]), bag)
            XCTAssertFalse(IoTHubPropertyBag.isWellFormed(bag[...]), bag)
        }
    }

    func testQueryValueLookupIsStrict() {
        XCTAssertEqual(IoTHubPropertyBag.rawValue(of: "$rid", inQuery: "$rid=12&$version=3"), "12")
        XCTAssertEqual(IoTHubPropertyBag.rawValue(of: "$version", inQuery: "$rid=12&$version=3"), "3")
        XCTAssertEqual(IoTHubPropertyBag.rawValue(of: "$rid", inQuery: "$rid=a%20b"), "a%20b")
        XCTAssertNil(IoTHubPropertyBag.rawValue(of: "$rid", inQuery: "$rid=1&$rid=1"))
        XCTAssertNil(IoTHubPropertyBag.rawValue(of: "$rid", inQuery: "$rid"))
        XCTAssertNil(IoTHubPropertyBag.rawValue(of: "$rid", inQuery: "$version=1"))
        XCTAssertNil(IoTHubPropertyBag.rawValue(of: "$rid", inQuery: "$rid=1&bad=%"))
        XCTAssertNil(IoTHubPropertyBag.rawValue(of: "$rid", inQuery: ""))
        XCTAssertNil(IoTHubPropertyBag.rawValue(of: "$rid", inQuery: "$ri=1"))
    }

    func testCloudToDeviceTopicCarriesTheEncodedBag() throws {
        let endpoint = IoTHubDeviceEndpoint(rules: IoTHubRules())
        let plain = try endpoint.cloudToDevice(deviceID: "d1", payload: ByteBuffer(string: "hi"))
        XCTAssertEqual(plain.packet.topic, "devices/d1/messages/devicebound/")
        XCTAssertEqual(plain.deviceID, "d1")
        XCTAssertEqual(plain.packet.payload, ByteBuffer(string: "hi"))

        let properties: IoTHubPropertyBag = ["$.mid": "m 1", "a&b": "c=d", "é": "ü", "flag": nil]
        let message = try endpoint.cloudToDevice(deviceID: "d1", payload: ByteBuffer(), properties: properties)
        XCTAssertEqual(message.packet.topic, "devices/d1/messages/devicebound/%24.mid=m%201&a%26b=c%3Dd&%C3%A9=%C3%BC&flag")
        let bag = try XCTUnwrap(message.packet.topic.split(separator: "/", omittingEmptySubsequences: false).last)
        XCTAssertEqual(IoTHubPropertyBag(encoded: bag), properties)
        XCTAssertTrue(
            TopicRules.matches(filter: "devices/d1/messages/devicebound/#", topic: message.packet.topic),
            "the documented subscription receives it")
    }

    func testCloudToDeviceBounds() {
        let endpoint = IoTHubDeviceEndpoint(rules: IoTHubRules(), limits: IoTHubLimits(cloudToDeviceBytes: 4))
        XCTAssertThrowsError(try endpoint.cloudToDevice(deviceID: "d1", payload: ByteBuffer(string: "12345"))) {
            XCTAssertEqual($0 as? IoTHubOperatorError, .payloadTooLarge(bytes: 5, limit: 4))
        }
        XCTAssertThrowsError(try endpoint.cloudToDevice(deviceID: "a/b", payload: ByteBuffer())) {
            XCTAssertEqual($0 as? IoTHubOperatorError, .invalidDeviceID("a/b"))
        }
    }
}
