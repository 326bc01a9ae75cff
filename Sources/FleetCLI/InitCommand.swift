import ArgumentParser
import Fleet
import Foundation
import Scenario
import Verification

/// `fleet init`: a commented starter scenario for the user's broker (and with `--tls` the certificate folder it
/// names), so the first scenario of one's own starts from a file that plays, not from a blank page.
struct InitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Write a commented starter scenario for your broker (with --tls, a certificate folder too).",
        discussion: """
            Writes DIR/scenario.yaml: the devices connect, publish QoS 1 telemetry, some lose power and come back, \
            every will must arrive. With --tls also DIR/certs: a root and intermediate CA (keys 0600) and one identity \
            per device plus one for the observers (register root.pem with your broker; a lab broker trusts it as is). \
            Never overwrites a file. Prints the command that runs the scenario.
            """
    )

    @Option(help: "The broker: lab[:PROFILE-FILE] (the embedded lab broker) or mqtt://, mqtts://, ws://, wss:// HOST[:PORT].")
    var broker = "lab"

    @Option(help: "How many devices.")
    var devices = 10

    @Option(help: "The folder to write into (created if missing); paths in the scenario are relative to the working directory.")
    var dir = "my-fleet"

    @Flag(help: "Client certificates: make DIR/certs and have the devices and observers present them.")
    var tls = false

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    func run() async throws {
        let folder = dir.count > 1 && dir.hasSuffix("/") ? String(dir.dropLast()) : dir
        let scenarioPath = folder + "/scenario.yaml"
        let certificates = folder + "/certs"
        let starter: StarterScenario
        do {
            starter = try StarterScenario(broker: broker, devices: devices, tls: tls,
                                          name: Self.name(forFolder: folder), certificates: certificates)
        } catch {
            throw Failure(description: error.description)
        }
        for path in [scenarioPath] + (tls ? [certificates] : []) where FileManager.default.fileExists(atPath: path) {
            throw Failure(description: "\(path) already exists: fleet init never overwrites (choose another --dir, or move it away)")
        }
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        do {
            try Data(starter.yaml.utf8).write(to: URL(fileURLWithPath: scenarioPath), options: .withoutOverwriting)
        } catch {
            throw Failure(description: "cannot write \(scenarioPath): \(error.localizedDescription)")
        }
        print("wrote \(scenarioPath): \(Wording.count(devices, "device")) against \(broker)")
        if tls {
            let plan = try ScenarioLoader.load(path: scenarioPath, options: .init(checkCertificateFiles: false))
            for line in try await CertsFailure.wrapping({ try await PlanIdentities.issueMissing(plan: plan) }) {
                print(line)
            }
            if !broker.hasPrefix("lab") {
                print("register \(certificates)/root.pem with your broker as the CA that signs the devices")
            }
        }
        print("next: fleet run \(scenarioPath)")
    }

    /// The folder's name as a client-ID prefix: letters, digits and `-`, at most 32 characters.
    static func name(forFolder folder: String) -> String {
        let last = URL(fileURLWithPath: folder).standardizedFileURL.lastPathComponent
        let kept = String(last.map { $0.isASCII && ($0.isLetter || $0.isNumber) ? $0 : "-" }.prefix(32))
            .trimmingCharacters(in: CharacterSet(charactersIn: "-"))
        return kept.isEmpty ? "my-fleet" : kept
    }
}
