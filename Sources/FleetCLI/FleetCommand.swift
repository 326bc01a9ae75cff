import ArgumentParser
import Foundation

/// The `fleet` command line. Each subcommand lives in its own file and only parses, calls and prints.
@main
struct FleetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fleet",
        abstract: "Simulate fleets of MQTT devices against a broker, inject field failures, verify wills.",
        version: FleetVersion.current,
        subcommands: [ProbeCommand.self, RunCommand.self, InitCommand.self, BrokerCommand.self, CertsCommand.self,
                      ReportCommand.self]
    )

    static func main() async {
        StandardOutput.makeLineBuffered()
        do {
            var command = try parseAsRoot()
            if var asynchronous = command as? any AsyncParsableCommand {
                try await asynchronous.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}
