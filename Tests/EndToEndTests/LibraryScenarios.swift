import Foundation
import Scenario

/// The scenario files the end-to-end tests run, loaded the way `fleet run` loads them (paths relative
/// to the repository root).
enum LibraryScenarios {
    /// `Scenarios/`, where the library lives.
    static let folder = "Scenarios"

    /// The library's scenario names (file names without `.yaml`), sorted.
    static func names() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: FleetBinary.repository.appendingPathComponent(folder).path)
            .filter { $0.hasSuffix(".yaml") }
            .map { String($0.dropLast(".yaml".count)) }
            .sorted()
    }

    /// The path `fleet run` is given for a library scenario, relative to the repository root.
    static func path(_ name: String) -> String { folder + "/" + name + ".yaml" }

    /// Loads a scenario file (relative to the repository root). Certificate files are not checked: the
    /// certificate scenarios are loaded to learn which identities to issue before they exist.
    static func plan(_ path: String) throws -> Plan {
        let options = ScenarioLoader.Options(baseDirectory: FleetBinary.repository.path, checkCertificateFiles: false)
        return try ScenarioLoader.load(path: FleetBinary.repository.appendingPathComponent(path).path, options: options)
    }
}
