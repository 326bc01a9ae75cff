import ArgumentParser
import DevicePKI
import Foundation

/// `fleet certs issue`: one key, certificate and chain per device, plus the index.
struct CertsIssueCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "issue",
        abstract: "Issue device identities (CN = client ID) signed by the intermediate.",
        discussion: """
            Client IDs come from --id-pattern with --count (placeholders {index} and {index:05}, zero-padded to \
            5 digits; indices start at --start-index) or from --ids FILE (one per line, # comments allowed). \
            Each device gets devices/<clientId>/cert.pem, chain.pem (cert + intermediate, what it presents) and \
            key.pem (0600); devices/index.csv and index.json list them with SHA-1 thumbprints. \
            --fault makes deliberately broken identities: expired, not-yet-valid, foreign-ca, cn-mismatch, \
            no-intermediate.
            """
    )

    @OptionGroup var location: CertsDirectoryOption
    @Option(help: "Directory of the signing CA when it is not --dir (e.g. fault identities kept apart under the same CA).")
    var caDir: String?

    @Option(parsing: .unconditional, help: "How many devices to issue from --id-pattern.") var count: Int?
    @Option(help: "Client ID pattern, e.g. 'XiaoTandHandCO2-{index:05}'.") var idPattern: String?
    @Option(parsing: .unconditional, help: "First index for --id-pattern.") var startIndex = 1
    @Option(help: "File with one client ID per line (instead of --id-pattern).") var ids: String?

    @Option(help: "Key type: p256, p384, rsa2048, rsa3072, rsa4096.") var keyType = "p256"
    @Option(parsing: .unconditional, help: "Validity in days.") var days = 365
    @Option(name: .customLong("o"), help: "Organization (O).") var organization: String?
    @Option(name: .customLong("ou"), help: "Organizational unit (OU).") var organizationalUnit: String?
    @Flag(help: "Add the client ID as a DNS subject alternative name.") var san = false
    @Option(help: "Make broken identities: expired, not-yet-valid, foreign-ca, cn-mismatch, no-intermediate.")
    var fault: String?
    @Flag(help: "Replace identities that already exist.") var force = false

    func run() async throws {
        let request = try makeRequest()
        let summary: IssueSummary
        do {
            summary = try await DeviceIdentityIssuer.issue(request)
        } catch let error as PKIError {
            throw CertsFailure(description: error.description)
        }
        print("issued \(summary.count) identities (\(summary.firstClientID) … \(summary.lastClientID)) into \(location.absolutePath)/devices")
        print("index: \(summary.indexCSV), \(summary.indexJSON)")
        print(String(format: "%d identities in %.2f s: %.0f identities/s", summary.count, summary.elapsedSeconds, summary.identitiesPerSecond))
    }

    private func makeRequest() throws -> IssueRequest {
        try CertsFailure.wrapping {
            let clientIDs: IssueRequest.ClientIDs
            switch (idPattern, ids) {
            case (let pattern?, nil):
                clientIDs = .pattern(try ClientIDPattern(pattern), count: count ?? 1, startIndex: startIndex)
            case (nil, let file?):
                if count != nil { throw CertsFailure(description: "--count goes with --id-pattern, not --ids") }
                clientIDs = .list(try DeviceIdentityIssuer.readClientIDs(fromFile: file))
            case (nil, nil):
                throw CertsFailure(description: "say which devices: --id-pattern with --count, or --ids FILE")
            case (.some, .some):
                throw CertsFailure(description: "use either --id-pattern or --ids, not both")
            }
            var request = IssueRequest(directory: location.absolutePath, clientIDs: clientIDs)
            request.authorityDirectory = caDir.map { URL(fileURLWithPath: $0).standardizedFileURL.path }
            request.keyAlgorithm = try KeyAlgorithm(parsing: keyType)
            request.validityDays = days
            request.organization = organization
            request.organizationalUnit = organizationalUnit
            request.includeSubjectAlternativeName = san
            request.fault = try fault.map(IdentityFault.init(parsing:))
            request.overwrite = force
            return request
        }
    }
}
