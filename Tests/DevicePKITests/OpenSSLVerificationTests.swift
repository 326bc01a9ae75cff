import DevicePKI
import Foundation
import XCTest

/// Debian's `openssl verify` is the referee: every healthy identity passes, every broken one fails
/// for the reason its fault names.
final class OpenSSLVerificationTests: XCTestCase {
    private var directory = ""

    override func setUp() async throws {
        directory = try makeCertificateAuthority(self)
        try await DeviceIdentityIssuer.issue(
            IssueRequest(directory: directory, clientIDs: .pattern(try ClientIDPattern("ok-{index}"), count: 3, startIndex: 1)))
        for fault in IdentityFault.allCases {
            var request = IssueRequest(directory: directory, clientIDs: .list(["broken-" + fault.rawValue]))
            request.fault = fault
            try await DeviceIdentityIssuer.issue(request)
        }
    }

    private func verify(_ clientID: String, untrusted: String) throws -> ProcessResult {
        try runTool("openssl", [
            "verify", "-purpose", "sslclient", "-CAfile", directory + "/root.pem",
            "-untrusted", untrusted, directory + "/devices/\(clientID)/cert.pem",
        ])
    }

    private func chain(_ clientID: String) -> String { directory + "/devices/\(clientID)/chain.pem" }

    func testHealthyIdentitiesVerifyWithTheIntermediateAndWithTheirOwnChain() throws {
        for id in ["ok-1", "ok-2", "ok-3"] {
            for untrusted in [directory + "/intermediate.pem", chain(id)] {
                let result = try verify(id, untrusted: untrusted)
                XCTAssertEqual(result.status, 0, result.output)
                XCTAssertTrue(result.output.contains(": OK"), result.output)
            }
        }
    }

    func testExpiredIdentityIsRejectedAsExpired() throws {
        let result = try verify("broken-expired", untrusted: chain("broken-expired"))
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.output.contains("certificate has expired"), result.output)
    }

    func testNotYetValidIdentityIsRejectedAsNotYetValid() throws {
        let result = try verify("broken-not-yet-valid", untrusted: chain("broken-not-yet-valid"))
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.output.contains("certificate is not yet valid"), result.output)
    }

    func testForeignIdentityHasNoTrustedIssuer() throws {
        for untrusted in [directory + "/intermediate.pem", chain("broken-foreign-ca")] {
            let result = try verify("broken-foreign-ca", untrusted: untrusted)
            XCTAssertNotEqual(result.status, 0)
            XCTAssertTrue(result.output.contains("unable to get local issuer certificate"), result.output)
        }
        // The foreign CA itself is whole: the identity verifies against the foreign root.
        let foreign = try runTool("openssl", [
            "verify", "-CAfile", directory + "/foreign/root.pem", "-untrusted", chain("broken-foreign-ca"),
            directory + "/devices/broken-foreign-ca/cert.pem",
        ])
        XCTAssertEqual(foreign.status, 0, foreign.output)
    }

    func testChainWithoutTheIntermediateCannotBeCompleted() throws {
        XCTAssertEqual(try readChain(chain("broken-no-intermediate")).count, 1)
        let result = try verify("broken-no-intermediate", untrusted: chain("broken-no-intermediate"))
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.output.contains("unable to get local issuer certificate"), result.output)
        // The leaf itself is fine; only what the device sends is incomplete.
        XCTAssertEqual(try verify("broken-no-intermediate", untrusted: directory + "/intermediate.pem").status, 0)
    }

    func testCNMismatchVerifiesButNamesAnotherDevice() throws {
        let result = try verify("broken-cn-mismatch", untrusted: chain("broken-cn-mismatch"))
        XCTAssertEqual(result.status, 0, result.output)
        let leaf = try readCertificate(directory + "/devices/broken-cn-mismatch/cert.pem")
        XCTAssertNotEqual(commonName(of: leaf), "broken-cn-mismatch")
        XCTAssertEqual(commonName(of: leaf), IdentityFault.mismatchedCommonName(for: "broken-cn-mismatch"))
    }

    func testIndexNamesEachFault() throws {
        let entries = try IdentityIndex.read(csvPath: directory + "/devices/index.csv")
        XCTAssertEqual(entries.count, 3 + IdentityFault.allCases.count)
        for fault in IdentityFault.allCases {
            XCTAssertEqual(entries.first { $0.clientID == "broken-" + fault.rawValue }?.fault, fault.rawValue)
        }
        XCTAssertEqual(entries.filter { $0.fault.isEmpty }.map(\.clientID), ["ok-1", "ok-2", "ok-3"])
    }

    func testForeignCAIsMadeOnceAndKept() async throws {
        let before = try String(contentsOfFile: directory + "/foreign/intermediate.pem", encoding: .utf8)
        var request = IssueRequest(directory: directory, clientIDs: .list(["broken-foreign-ca-2"]))
        request.fault = .foreignCA
        try await DeviceIdentityIssuer.issue(request)
        XCTAssertEqual(try String(contentsOfFile: directory + "/foreign/intermediate.pem", encoding: .utf8), before)
        XCTAssertEqual(try fileMode(directory + "/foreign/intermediate.key"), 0o600)
        XCTAssertEqual(try readChain(chain("broken-foreign-ca-2"))[1], try readCertificate(directory + "/foreign/intermediate.pem"))
    }
}
