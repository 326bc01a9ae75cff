import Foundation
import Scenario
import XCTest

/// Every file in Scenarios/ must load into a plan.
final class ScenarioLibraryTests: XCTestCase {
    func testEveryLibraryScenarioLoads() throws {
        let files = try Repository.scenarioFiles()
        XCTAssertGreaterThanOrEqual(files.count, 12, "the library lists at least the twelve documented scenarios")
        // The library's certificate scenarios point at .test-broker/fleet-certs, which the integration tests create.
        // Only where that folder is absent are file checks switched off (syntax and semantics are still checked).
        let certificatesPresent = FileManager.default.fileExists(atPath: Repository.root + "/.test-broker/fleet-certs")
        let options = ScenarioLoader.Options(baseDirectory: Repository.root, checkCertificateFiles: certificatesPresent)
        for file in files {
            do {
                let plan = try ScenarioLoader.load(path: file, options: options)
                let name = (file as NSString).lastPathComponent
                XCTAssertEqual(plan.name + ".yaml", name, "scenario name matches its file name")
                XCTAssertGreaterThan(plan.deviceCount, 0, name)
                XCTAssertLessThanOrEqual(plan.duration, .seconds(40), "\(name) must stay short enough for CI")
                XCTAssertEqual(plan.devices().count, plan.deviceCount, name)
            } catch {
                XCTFail("\(file) does not load:\n\(error)")
            }
        }
    }

    func testLibraryCoversTheDocumentedFailures() throws {
        let names = Set(try Repository.scenarioFiles().map { (($0 as NSString).lastPathComponent as NSString).deletingPathExtension })
        let documented: Set = [
            "quickstart", "lwt-abrupt-disconnect", "lwt-keepalive-expiry", "graceful-disconnect-no-lwt",
            "duplicate-client-id-pingpong", "reconnect-storm-no-backoff", "throttled-cellular-link",
            "lwt-topic-not-authorized", "subscribe-not-authorized", "expired-device-certificate",
            "missing-intermediate-in-chain", "mixed-firmware-fleet",
        ]
        XCTAssertEqual(documented.subtracting(names), [], "missing scenarios")
    }
}
