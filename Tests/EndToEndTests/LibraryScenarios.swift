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
    static func plan(_ path: String, brokerOverride: String? = nil) throws -> Plan {
        let options = ScenarioLoader.Options(baseDirectory: FleetBinary.repository.path, checkCertificateFiles: false,
                                             brokerOverride: brokerOverride)
        return try ScenarioLoader.load(path: FleetBinary.repository.appendingPathComponent(path).path, options: options)
    }
}

/// The two brokers every library file is played against.
enum LibraryBroker: String, CaseIterable {
    /// The test mosquitto (`Scripts/test-broker.sh`): 1883 plain, 1884 ACL, 8883 mutual TLS, 8884 TLS.
    case mosquitto
    /// The embedded lab broker `fleet run` starts on a free loopback port.
    case labBroker = "lab broker"

    /// The test broker's plain listener, for a file that names no broker (it would run on the lab broker).
    static let mosquittoURL = "mqtt://127.0.0.1:1883"
    /// The test broker's ACL listener port (`.ci/mosquitto/acl`).
    static let aclPort = 1884
    /// A lab profile with the ACL listener's permissions and mosquitto's will behaviour.
    static let aclProfile = "Tests/EndToEndTests/Fixtures/mosquitto-acl.yaml"

    /// `--broker` for playing a file whose own broker is `fileBroker` here; nil: the file as written.
    ///
    /// On mosquitto a file plays as written, or on the plain listener when it names no broker. On the lab
    /// broker a file written for mosquitto's ACL listener gets the profile that models that listener; every
    /// other file gets `lab` (the standard profile), which keeps TLS when the file's broker is TLS.
    func brokerOverride(fileBroker: BrokerSpec) -> String? {
        switch self {
        case .mosquitto:
            return fileBroker.lab == nil ? nil : Self.mosquittoURL
        case .labBroker:
            if fileBroker.lab == nil, fileBroker.host == "127.0.0.1", fileBroker.port == Self.aclPort {
                return LabTarget.url(profile: Self.aclProfile)
            }
            return LabTarget.scheme
        }
    }
}
