import Foundation
import XCTest

/// `fleet init` writes a starter scenario that plays as written, with TLS a certificate folder it presents,
/// and never overwrites a file.
final class InitCommandTests: XCTestCase {
    private func scratch() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("fleet-e2e-init-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: folder) }
        return folder
    }

    func testTheStarterScenarioPlaysOnTheLabBrokerAndInitSaysHow() throws {
        let dir = try scratch().appendingPathComponent("plant-7").path
        let made = try FleetBinary.run(["init", "--dir", dir, "--devices", "12"])
        XCTAssertEqual(made.status, 0, made.output)
        XCTAssertTrue(made.output.contains("next: fleet run \(dir)/scenario.yaml"), made.output)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/certs"), "no certificates asked for")

        let run = try FleetBinary.run(scenario: dir + "/scenario.yaml")
        XCTAssertEqual(run.outcome.status, 0, run.outcome.output)
        let report = try run.report()
        XCTAssertTrue(report.passed, "\(report.expectations)")
        XCTAssertTrue(try run.events().contains { $0.device == "plant-7-01" }, "client IDs from the folder's name")
    }

    func testWithTLSTheDevicesAndObserversPresentTheFolderItMadeWithPrivateKeys() throws {
        let dir = try scratch().appendingPathComponent("secure").path
        let made = try FleetBinary.run(["init", "--broker", "lab", "--tls", "--dir", dir, "--devices", "3"])
        XCTAssertEqual(made.status, 0, made.output)
        let certs = dir + "/certs"
        for id in ["secure-01", "secure-02", "secure-03", "fleet-observer"] {
            let key = try FileManager.default.attributesOfItem(atPath: "\(certs)/devices/\(id)/key.pem")
            XCTAssertEqual(key[.posixPermissions] as? Int, 0o600, id)
        }
        XCTAssertEqual(try FileManager.default.attributesOfItem(atPath: certs + "/intermediate.key")[.posixPermissions] as? Int, 0o600)

        let run = try FleetBinary.run(scenario: dir + "/scenario.yaml")
        XCTAssertEqual(run.outcome.status, 0, run.outcome.output)
        XCTAssertTrue(try run.report().passed)
        let handshakes = try run.events().filter { event in
            if case .connected(_, let tls?, _, _, _) = event.kind { return tls > 0 }
            return false
        }
        XCTAssertEqual(Set(handshakes.compactMap(\.device)), ["secure-01", "secure-02", "secure-03"])
    }

    func testAnExistingFileIsNeverOverwrittenAndIsNamed() throws {
        let dir = try scratch().appendingPathComponent("mine").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let mine = Data("name: my-own\n".utf8)
        try mine.write(to: URL(fileURLWithPath: dir + "/scenario.yaml"))

        let again = try FleetBinary.run(["init", "--dir", dir, "--tls"])

        XCTAssertNotEqual(again.status, 0)
        XCTAssertTrue(again.errors.contains("\(dir)/scenario.yaml already exists"), again.output)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: dir + "/scenario.yaml")), mine)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/certs"), "nothing written when a file is in the way")
    }
}
