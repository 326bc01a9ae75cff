import ArgumentParser
import DevicePKI
import Foundation

/// `fleet certs export`: the issued identities as Event Grid's client list or IoT Hub's import file.
struct CertsExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write the issued identities as an Event Grid client list or an IoT Hub device import file.",
        discussion: """
            eventgrid: a JSON array of namespace clients (name, authenticationName = the certificate CN, \
            ThumbprintMatch with the SHA-256 thumbprint, or --validation subject for SubjectMatchesAuthenticationName).

            iothub: devices.txt for an import job (az iot hub device-identity import), one device a line, \
            authenticated by thumbprint (selfSigned) or, with --iothub-auth ca, by its CA-signed certificate.

            Identities issued with --fault are left out. Only X.509 identities are exported.
            """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case eventgrid, iothub
    }

    enum Validation: String, ExpressibleByArgument, CaseIterable {
        case thumbprint, subject
    }

    enum IoTHubAuthentication: String, ExpressibleByArgument, CaseIterable {
        case selfSigned = "self-signed", ca
    }

    @OptionGroup var location: CertsDirectoryOption

    @Option(help: "eventgrid or iothub.") var format: Format
    @Option(name: .customLong("out"), help: "Write to this file instead of standard output.") var output: String?
    @Option(help: "Event Grid validation scheme: thumbprint (ThumbprintMatch) or subject (SubjectMatchesAuthenticationName).")
    var validation: Validation = .thumbprint
    @Option(name: .customLong("iothub-auth"), help: "IoT Hub authentication: self-signed (thumbprint) or ca.")
    var iotHubAuthentication: IoTHubAuthentication = .selfSigned
    @Option(help: "Thumbprint digest: sha256 or sha1.") var thumbprint: CloudRegistration.Thumbprint = .sha256

    func run() throws {
        let layout = PKILayout(directory: location.absolutePath)
        let entries = try CertsFailure.wrapping { try IdentityIndex.read(csvPath: layout.indexCSV) }
        let export = switch format {
        case .eventgrid:
            CloudRegistration.eventGrid(entries, validation: validation == .subject ? .subject : .thumbprint,
                                        thumbprint: thumbprint)
        case .iothub:
            CloudRegistration.iotHubImport(
                entries, authentication: iotHubAuthentication == .ca ? .certificateAuthority : .selfSigned,
                thumbprint: thumbprint)
        }
        if let output {
            do {
                try Data(export.text.utf8).write(to: URL(fileURLWithPath: output), options: .atomic)
            } catch {
                throw CertsFailure(description: "cannot write \(output): \(error.localizedDescription)")
            }
        } else {
            FileHandle.standardOutput.write(Data(export.text.utf8))
        }
        var report = "exported \(export.exported) of \(entries.count) identities"
        if let output { report += " to \(output)" }
        for skipped in export.skipped.prefix(5) { report += "\n  left out \(skipped.clientID): \(skipped.reason)" }
        if export.skipped.count > 5 { report += "\n  … and \(export.skipped.count - 5) more left out" }
        FileHandle.standardError.write(Data((report + "\n").utf8))
    }
}

extension CloudRegistration.Thumbprint: ExpressibleByArgument {}
