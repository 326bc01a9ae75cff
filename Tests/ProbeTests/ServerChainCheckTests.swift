import Foundation
import SwiftASN1
import X509
import XCTest
@testable import Probe

final class ServerChainCheckTests: XCTestCase {
    private func certificates(_ name: String) throws -> [Certificate] {
        let pem = try String(contentsOfFile: TestBroker.file(name), encoding: .utf8)
        return try PEMDocument.parseMultiple(pemString: pem).map { try Certificate(pemDocument: $0) }
    }

    func testTrustedChainForEveryNameItCarries() async throws {
        let chain = try certificates("server.pem")
        let roots = try certificates("root.pem")
        for host in ["localhost", "127.0.0.1"] {
            let diagnosis = await ServerChainCheck.diagnose(chain: chain, trustRoots: roots, host: host)
            XCTAssertNil(diagnosis, host)
        }
    }

    func testWrongCANamesTheIssuer() async throws {
        let diagnosis = await ServerChainCheck.diagnose(
            chain: try certificates("server.pem"), trustRoots: try certificates("foreign-root.pem"), host: "localhost")
        XCTAssertEqual(diagnosis?.problem.contains("does not lead to a trusted CA"), true, "\(String(describing: diagnosis))")
        XCTAssertEqual(diagnosis?.problem.contains("fleet test root"), true, "\(String(describing: diagnosis))")
        XCTAssertEqual(diagnosis?.hint.contains("foreign root"), true, "\(String(describing: diagnosis))")
    }

    func testHostnameMismatchListsTheCertificatesNames() async throws {
        let diagnosis = await ServerChainCheck.diagnose(
            chain: try certificates("server.pem"), trustRoots: try certificates("root.pem"), host: "broker.example")
        XCTAssertEqual(diagnosis?.problem, "the broker's certificate is for localhost, 127.0.0.1, not broker.example")
    }

    func testExpiredAndNotYetValidAreTold() async throws {
        let chain = try certificates("server.pem")
        let roots = try certificates("root.pem")
        let later = chain[0].notValidAfter.addingTimeInterval(86_400)
        let expired = await ServerChainCheck.diagnose(chain: chain, trustRoots: roots, host: "localhost", now: later)
        XCTAssertEqual(expired?.problem.contains("expired on"), true, "\(String(describing: expired))")
        let earlier = chain[0].notValidBefore.addingTimeInterval(-86_400)
        let early = await ServerChainCheck.diagnose(chain: chain, trustRoots: roots, host: "localhost", now: earlier)
        XCTAssertEqual(early?.problem.contains("not valid until"), true, "\(String(describing: early))")
    }

    func testIPv6AddressesAreFormattedCanonically() {
        XCTAssertEqual(IPAddressParsing.format([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]), "::1")
        XCTAssertEqual(IPAddressParsing.format([127, 0, 0, 2]), "127.0.0.2")
        XCTAssertTrue(IPAddressParsing.isIPAddress("::1"))
        XCTAssertFalse(IPAddressParsing.isIPAddress("localhost"))
    }
}
