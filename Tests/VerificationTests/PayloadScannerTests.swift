import Scenario
import Verification
import XCTest

final class PayloadScannerTests: XCTestCase {
    func testDefaultPayload() {
        let scanner = PayloadScanner()
        XCTAssertEqual(scanner.scan(Array(#"{"ClientID":"dev-01","Sequence":12345}"#.utf8))?.sequence, 12345)
    }

    func testBlanksAndTimestamp() {
        let scanner = PayloadScanner(sequenceKey: "seq", timestampKey: "ts")
        let fields = scanner.scan(Array("{ \"ts\" :\t1700000000123 ,\n \"seq\" : 7 }".utf8))
        XCTAssertEqual(fields, PayloadScanner.Fields(sequence: 7, timestamp: 1_700_000_000_123))
    }

    func testNoSequenceOrNoDigitsIsNil() {
        let scanner = PayloadScanner()
        XCTAssertNil(scanner.scan(Array(#"{"ClientID":"x"}"#.utf8)))
        XCTAssertNil(scanner.scan(Array(#"{"Sequence":"seven"}"#.utf8)))
        XCTAssertNil(scanner.scan(Array(#"{"Sequence":99999999999999999999999}"#.utf8)))
        XCTAssertNil(scanner.scan([]))
    }

    func testKeyPrefixIsNotConfusedWithKey() {
        let scanner = PayloadScanner()
        let fields = scanner.scan(Array(#"{"SequenceNumber":1,"Sequence":2}"#.utf8))
        XCTAssertEqual(fields?.sequence, 2)
    }

    func testKeysAreReadFromThePayloadTemplate() {
        let template = Template(parts: [.text("{\"id\":\""), .clientID, .text("\", \"n\" : "), .sequence,
                                         .text(", \"at\":"), .timestamp, .text("}")])
        let scanner = PayloadScanner(template: template)
        XCTAssertEqual(scanner?.scan(Array(#"{"id":"a", "n" : 3, "at":99}"#.utf8)),
                       PayloadScanner.Fields(sequence: 3, timestamp: 99))
        XCTAssertNil(PayloadScanner(template: Template(literal: "hello")))
    }
}
