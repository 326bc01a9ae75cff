import Scenario
import Verification
import XCTest

final class TelemetryReaderTests: XCTestCase {
    private let sequence = PayloadScanner(key: "Sequence")

    func testDefaultPayload() {
        XCTAssertEqual(sequence.value(in: Array(#"{"ClientID":"dev-01","Sequence":12345}"#.utf8)), 12345)
    }

    func testBlanksBetweenKeyColonAndValue() {
        let reader = TelemetryReader(sequence: .payload(PayloadScanner(key: "seq")),
                                     timestamp: .payload(PayloadScanner(key: "ts")))
        let fields = reader.read(payload: Array("{ \"ts\" :\t1700000000123 ,\n \"seq\" : 7 }".utf8))
        XCTAssertEqual(fields, TelemetryReader.Fields(sequence: 7, timestamp: 1_700_000_000_123))
    }

    func testNoSequenceOrNoDigitsIsNil() {
        XCTAssertNil(sequence.value(in: Array(#"{"ClientID":"x"}"#.utf8)))
        XCTAssertNil(sequence.value(in: Array(#"{"Sequence":"seven"}"#.utf8)))
        XCTAssertNil(sequence.value(in: Array(#"{"Sequence":99999999999999999999999}"#.utf8)))
        XCTAssertNil(sequence.value(in: []))
    }

    func testKeyPrefixIsNotConfusedWithKey() {
        XCTAssertEqual(sequence.value(in: Array(#"{"SequenceNumber":1,"Sequence":2}"#.utf8)), 2)
    }

    func testKeysAreReadFromThePayloadTemplate() throws {
        let payload = Template(parts: [.text("{\"id\":\""), .clientID, .text("\", \"n\" : "), .sequence,
                                        .text(", \"at\":"), .timestamp, .text("}")])
        let reader = try XCTUnwrap(TelemetryReader(telemetry: Self.telemetry(payload: payload)))
        XCTAssertEqual(reader.read(payload: Array(#"{"id":"a", "n" : 3, "at":99}"#.utf8)),
                       TelemetryReader.Fields(sequence: 3, timestamp: 99))
        XCTAssertNil(TelemetryReader(telemetry: Self.telemetry(payload: Template(literal: "hello"))))
    }

    func testUserPropertyCarriesTheTimestampAndWinsOverThePayload() throws {
        let payload = Template(parts: [.text(#"{"Sequence":"#), .sequence, .text(#","Time":"#), .timestamp, .text("}")])
        let telemetry = Self.telemetry(payload: payload, properties: [
            UserPropertySpec(name: "site", value: Template(literal: "plant-7")),
            UserPropertySpec(name: "sent-at", value: Template(parts: [.timestamp])),
        ])
        let reader = try XCTUnwrap(TelemetryReader(telemetry: telemetry))
        XCTAssertEqual(reader.timestamp, .userProperty("sent-at"))
        XCTAssertEqual(reader.read(payload: Array(#"{"Sequence":5,"Time":1}"#.utf8), userProperties: ["sent-at": "1700000000999"]),
                       TelemetryReader.Fields(sequence: 5, timestamp: 1_700_000_000_999))
        XCTAssertEqual(reader.read(payload: Array(#"{"Sequence":5,"Time":1}"#.utf8)),
                       TelemetryReader.Fields(sequence: 5, timestamp: nil), "a message without the property has no send time")
    }

    func testUserPropertiesCarryTheNumbersOfAPayloadThatIsNotJSON() throws {
        let telemetry = Self.telemetry(payload: Template(parts: [.text("t="), .random(1...9)]), properties: [
            UserPropertySpec(name: "seq", value: Template(parts: [.sequence])),
            UserPropertySpec(name: "ts", value: Template(parts: [.timestamp])),
        ])
        let reader = try XCTUnwrap(TelemetryReader(telemetry: telemetry))
        XCTAssertEqual(reader.read(payload: Array("t=4".utf8), userProperties: ["seq": "41", "ts": "7"]),
                       TelemetryReader.Fields(sequence: 41, timestamp: 7))
        XCTAssertNil(reader.read(payload: Array("t=4".utf8), userProperties: ["seq": "forty-one"]))
        XCTAssertNil(reader.read(payload: Array("t=4".utf8)))
    }

    func testAPropertyWithMoreThanThePlaceholderIsNotReadBack() {
        let telemetry = Self.telemetry(payload: Template(literal: "x"), properties: [
            UserPropertySpec(name: "seq", value: Template(parts: [.text("n="), .sequence])),
        ])
        XCTAssertNil(TelemetryReader(telemetry: telemetry))
    }

    private static func telemetry(payload: Template, properties: [UserPropertySpec] = []) -> DeviceTelemetry {
        var group = Fixtures.group(count: 1)
        group.telemetry?.payload = payload
        group.telemetry?.userProperties = properties
        return group.device(index: 1, ordinal: 0).telemetry!
    }
}
