import Foundation
import Scenario

/// The `fleet certs` folder the library's certificate scenarios name (`.test-broker/fleet-certs`), made with
/// the real CLI under the test broker's root, once per test process.
///
/// A folder that is already complete (same root as the broker's, CA files present, an identity for every client
/// ID a scenario uses) is reused; missing identities are added; a folder under another root (the broker's PKI
/// was regenerated) is replaced. A new CA is built in a staging folder and renamed into place, so a reader
/// never sees a half-made folder.
enum TestCertificates {
    static let folder = ".test-broker/fleet-certs"
    static let root = ".test-broker/pki/root.pem"
    static let rootKey = ".test-broker/pki/root.key"

    struct SetupFailed: Error, CustomStringConvertible {
        var description: String
    }

    /// The client IDs issued, or why the folder could not be made; computed on first use.
    static let prepared: Result<[String], SetupFailed> = {
        do {
            return .success(try prepare())
        } catch let failure as SetupFailed {
            return .failure(failure)
        } catch {
            return .failure(SetupFailed(description: "\(error)"))
        }
    }()

    /// Makes sure the folder is complete; throws with the CLI's output when it cannot be.
    static func ensure() throws {
        _ = try prepared.get()
    }

    private static func absolute(_ path: String) -> String {
        FleetBinary.repository.appendingPathComponent(path).path
    }

    /// Every client ID a library scenario presents a certificate from `folder` for: its devices' and its observers'.
    static func clientIDs() throws -> [String] {
        let devicesFolder = absolute(folder) + "/devices/"
        var ids: Set<String> = []
        for name in try LibraryScenarios.names() {
            let plan = try LibraryScenarios.plan(LibraryScenarios.path(name))
            for device in plan.devices() {
                if case .certificate(let files, _) = device.credentials, files.chain.hasPrefix(devicesFolder) {
                    // The identity's folder: the sessions of a multi-session identity share it.
                    ids.insert(URL(fileURLWithPath: files.chain).deletingLastPathComponent().lastPathComponent)
                }
            }
            if let observer = plan.observer.identity, observer.chain.hasPrefix(devicesFolder) {
                ids.insert(URL(fileURLWithPath: observer.chain).deletingLastPathComponent().lastPathComponent)
            }
        }
        return ids.sorted()
    }

    private static func prepare() throws -> [String] {
        let ids = try clientIDs()
        let files = FileManager.default
        if !caMatchesBroker() {
            let staging = folder + ".staging-" + UUID().uuidString
            defer { try? files.removeItem(atPath: absolute(staging)) }
            try fleet(["certs", "init", "--dir", staging, "--root-cert", root, "--root-key", rootKey])
            try issue(ids, into: staging)
            try? files.removeItem(atPath: absolute(folder))
            try files.moveItem(atPath: absolute(staging), toPath: absolute(folder))
        } else {
            try issue(ids.filter { !hasIdentity($0) }, into: folder)
        }
        let missing = ids.filter { !hasIdentity($0) }
        guard missing.isEmpty else {
            throw SetupFailed(description: "identities still missing in \(folder): \(missing)")
        }
        return ids
    }

    /// The folder's CA is complete and chains to the root the broker trusts.
    private static func caMatchesBroker() -> Bool {
        let files = FileManager.default
        guard let ours = files.contents(atPath: absolute(folder + "/root.pem")),
              let brokers = files.contents(atPath: absolute(root))
        else { return false }
        return ours == brokers
            && files.fileExists(atPath: absolute(folder + "/intermediate.pem"))
            && files.fileExists(atPath: absolute(folder + "/intermediate.key"))
    }

    private static func hasIdentity(_ clientID: String) -> Bool {
        let device = absolute(folder + "/devices/" + clientID)
        return FileManager.default.fileExists(atPath: device + "/chain.pem")
            && FileManager.default.fileExists(atPath: device + "/key.pem")
    }

    private static func issue(_ ids: [String], into directory: String) throws {
        guard !ids.isEmpty else { return }
        let list = FileManager.default.temporaryDirectory.appendingPathComponent("fleet-e2e-ids-\(UUID().uuidString)")
        try Data((ids.joined(separator: "\n") + "\n").utf8).write(to: list)
        defer { try? FileManager.default.removeItem(at: list) }
        try fleet(["certs", "issue", "--dir", directory, "--ids", list.path])
    }

    private static func fleet(_ arguments: [String]) throws {
        let outcome = try FleetBinary.run(arguments)
        guard outcome.status == 0 else {
            throw SetupFailed(description: "fleet \(arguments.joined(separator: " ")) exited \(outcome.status):\n\(outcome.output)")
        }
    }
}
