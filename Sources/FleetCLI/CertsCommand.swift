import ArgumentParser
import DevicePKI
import Foundation

/// `fleet certs`: the device PKI (root and intermediate CA, one identity per device, a broker certificate).
struct CertsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "certs",
        abstract: "Make the CA, device identities and broker certificate the fleet authenticates with.",
        subcommands: [CertsInitCommand.self, CertsIssueCommand.self, CertsScenarioCommand.self, CertsServerCommand.self,
                      CertsExportCommand.self]
    )
}

/// The `--dir` option shared by every `fleet certs` command.
struct CertsDirectoryOption: ParsableArguments {
    @Option(name: .customLong("dir"), help: "The PKI directory.")
    var directory = "Certs"

    /// Absolute, so that printed paths and broker snippets work from anywhere.
    var absolutePath: String {
        URL(fileURLWithPath: directory).standardizedFileURL.path
    }
}

/// Errors from the PKI, printed as one line by ArgumentParser without the usage text.
struct CertsFailure: Error, CustomStringConvertible {
    let description: String

    static func wrapping<Result>(_ body: () throws -> Result) throws -> Result {
        do { return try body() } catch let error as PKIError { throw CertsFailure(description: error.description) }
    }

    static func wrapping<Result>(_ body: () async throws -> Result) async throws -> Result {
        do { return try await body() } catch let error as PKIError { throw CertsFailure(description: error.description) }
    }
}
