import ArgumentParser
import DevicePKI
import Fleet
import Foundation
import Scenario

/// `fleet certs scenario FILE…`: every identity the scenarios present that is not there yet, so a scenario
/// that names a certificate folder runs from the file alone.
struct CertsScenarioCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scenario",
        abstract: "Issue the identities that scenario files name and lack (and each folder's CA if it has none).",
        discussion: """
            Reads each file's credentials: { certificates: FOLDER } and observer certificate, and issues into those \
            folders every identity that is missing, keeping the ones already there. A folder without a CA gets a new \
            root and intermediate, or with --root-cert and --root-key an intermediate under that root (the one your \
            broker trusts; a lab broker trusts any). Paths are relative to the current working directory, as for \
            fleet run.
            """
    )

    @Argument(help: "Scenario files (YAML).")
    var scenarios: [String]

    @Option(help: "An existing root certificate (PEM) to put a new intermediate under.") var rootCert: String?
    @Option(help: "The private key (PEM) of --root-cert.") var rootKey: String?

    func run() async throws {
        let existingRoot: CertificateAuthorityOptions.ExistingRoot?
        switch (rootCert, rootKey) {
        case (let certificate?, let key?): existingRoot = .init(certificatePath: certificate, keyPath: key)
        case (nil, nil): existingRoot = nil
        default: throw CertsFailure(description: "--root-cert and --root-key go together")
        }
        for scenario in scenarios {
            let plan: Plan
            do {
                // The files it names may not exist yet: that is what this command is for.
                plan = try ScenarioLoader.load(path: scenario, options: .init(checkCertificateFiles: false))
            } catch {
                FileHandle.standardError.write(Data("\(error)\n".utf8))
                throw ExitCode(2)
            }
            let made = try await CertsFailure.wrapping { try await PlanIdentities.issueMissing(plan: plan, existingRoot: existingRoot) }
            let folders = PlanIdentities.named(by: plan)
            if folders.isEmpty {
                print("\(scenario): no certificate folder named")
            } else if made.isEmpty {
                print("\(scenario): every identity is there (\(folders.map(\.directory).joined(separator: ", ")))")
            }
            for line in made { print("\(scenario): \(line)") }
        }
    }
}
