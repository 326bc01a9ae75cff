import Foundation
import Ledger
import XCTest

/// A `cert-fault` step presents broken identities made for the run: they go to the run's own folder beside
/// its ledger, and the `fleet certs` folder the scenario names is only read.
final class CertificateFaultFolderTests: XCTestCase {
    func testCertFaultsWriteIntoTheRunsFolderAndLeaveTheScenariosPKIUntouched() throws {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("fleet-e2e-pki-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let certs = scratch.appendingPathComponent("certs").path
        for arguments in [["certs", "init", "--dir", certs],
                          ["certs", "issue", "--dir", certs, "--id-pattern", "pki-kept-{index}", "--count", "4"]] {
            let outcome = try FleetBinary.run(arguments)
            XCTAssertEqual(outcome.status, 0, outcome.output)
        }
        let scenario = scratch.appendingPathComponent("cert-faults.yaml").path
        try Data("""
            name: cert-faults-in-run-folder
            seed: 5
            broker: { url: lab, tls: true }
            groups:
              - name: secure
                count: 4
                client-id: "pki-kept-{index}"
                retry: 1s
                credentials: { certificates: "\(certs)" }
                telemetry: { topic: "devices/{clientId}/sequence", every: 1s, qos: 1 }
            timeline:
              - { at: 0s, ramp: { over: 0s } }
              - { at: 1s, cert-fault: { select: [pki-kept-1], kind: expired } }
              - { at: 1s, cert-fault: { select: [pki-kept-2], kind: foreign-ca } }
              - { at: 2s, disconnect: { select: [pki-kept-1, pki-kept-2], mode: abrupt, reconnect: policy } }
              - { at: 6s, stop: graceful }
            expect:
              connected-at-end: { exactly: 2 }
            """.utf8).write(to: URL(fileURLWithPath: scenario))
        let before = try listing(certs)

        let run = try FleetBinary.run(scenario: scenario)

        XCTAssertEqual(run.outcome.status, 0, run.outcome.output)
        XCTAssertEqual(try listing(certs), before, "the run wrote into the scenario's certificate folder")
        let faults = run.base + ".cert-faults"
        for (kind, clientID) in [("expired", "pki-kept-1"), ("foreign-ca", "pki-kept-2")] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: "\(faults)/\(kind)/devices/\(clientID)/chain.pem"),
                          "\(kind) identity not in the run's folder: \(run.outcome.output)")
        }
        XCTAssertTrue(FileManager.default.fileExists(atPath: faults + "/foreign/intermediate.pem"))
        // The faulty identities were presented: both devices were refused after their fault.
        let refused = Set(try run.events().compactMap { event -> String? in
            if case .connectFailed = event.kind { return event.device }
            return nil
        })
        XCTAssertEqual(refused, ["pki-kept-1", "pki-kept-2"])
    }

    /// Every path under `folder`, relative to it, with its size: what a run must not change.
    private func listing(_ folder: String) throws -> [String] {
        let files = FileManager.default
        let paths = try XCTUnwrap(files.subpaths(atPath: folder))
        return try paths.sorted().map { path in
            let size = try files.attributesOfItem(atPath: folder + "/" + path)[.size] as? Int ?? -1
            return "\(path) \(size)"
        }
    }
}
