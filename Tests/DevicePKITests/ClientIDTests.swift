import DevicePKI
import XCTest

final class ClientIDPatternTests: XCTestCase {
    func testIndexIsInsertedUnpadded() throws {
        let pattern = try ClientIDPattern("sensor-{index}")
        XCTAssertEqual(pattern.clientID(forIndex: 7), "sensor-7")
        XCTAssertEqual(pattern.clientID(forIndex: 1234), "sensor-1234")
        XCTAssertTrue(pattern.containsIndex)
    }

    func testZeroPaddedWidth() throws {
        let pattern = try ClientIDPattern("XiaoTandHandCO2-{index:05}")
        XCTAssertEqual(pattern.clientID(forIndex: 42), "XiaoTandHandCO2-00042")
        XCTAssertEqual(pattern.clientID(forIndex: 123_456), "XiaoTandHandCO2-123456")
    }

    func testPlaceholderInTheMiddleAndEscapedBraces() throws {
        let pattern = try ClientIDPattern("{{site}}-{index:3}-edge")
        XCTAssertEqual(pattern.clientID(forIndex: 5), "{site}-005-edge")
    }

    func testPatternWithoutPlaceholderNamesOneDevice() throws {
        let pattern = try ClientIDPattern("EdgeBox100A")
        XCTAssertFalse(pattern.containsIndex)
        XCTAssertEqual(pattern.clientID(forIndex: 9), "EdgeBox100A")
    }

    func testMalformedPatternsAreRejected() {
        for text in ["dev-{index", "dev-{id}", "dev-{index:x5}", "dev-}", "dev-{index:}"] {
            assertPKIError(try ClientIDPattern(text)) {
                if case .invalidPattern(let pattern, _) = $0 { return pattern == text }
                return false
            }
        }
    }
}

final class ClientIDValidationTests: XCTestCase {
    func testOrdinaryIDsAreAccepted() throws {
        for id in ["XiaoTandHandCO2A", "EdgeBox100Z", "sensor_1", "a.b", "device-00001", "dev,ice"] {
            XCTAssertNoThrow(try ClientID.validate(id), id)
        }
    }

    func testUnsafeFolderNamesAreRejected() {
        let cases: [(String, String)] = [
            ("", "empty"), ("a/b", "path separator"), ("a\\b", "path separator"), ("..", ".."),
            ("x..y", ".."), (".hidden", "starts with '.'"), ("tab\there", "control"), ("nl\n", "control"),
            (String(repeating: "x", count: 65), "longer than 64"),
        ]
        for (id, reason) in cases {
            assertPKIError(try ClientID.validate(id)) {
                if case .invalidClientID(let clientID, let text) = $0 { return clientID == id && text.contains(reason) }
                return false
            }
        }
    }
}

final class KeyAlgorithmTests: XCTestCase {
    func testCommonSpellingsParse() throws {
        XCTAssertEqual(try KeyAlgorithm(parsing: "P-256"), .p256)
        XCTAssertEqual(try KeyAlgorithm(parsing: "ecdsa-p384"), .p384)
        XCTAssertEqual(try KeyAlgorithm(parsing: "rsa2048"), .rsa2048)
        XCTAssertEqual(try KeyAlgorithm(parsing: "RSA-3072"), .rsa3072)
        XCTAssertEqual(try KeyAlgorithm(parsing: "rsa:4096"), .rsa4096)
    }

    func testUnknownKeyTypeIsAOneLineError() {
        assertPKIError(try KeyAlgorithm(parsing: "dsa1024")) {
            $0 == .unknownKeyAlgorithm("dsa1024") && $0.description.contains("p256")
        }
    }

    func testUnknownFaultIsRejected() {
        assertPKIError(try IdentityFault(parsing: "revoked")) { $0 == .unknownFault("revoked") }
        XCTAssertEqual(try IdentityFault(parsing: "no-intermediate"), .noIntermediate)
    }
}
