import ArgumentParser
import DevicePKI
import Foundation

/// `fleet certs server`: a broker certificate signed by the intermediate, and listener snippets that use it.
struct CertsServerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "server",
        abstract: "Issue a broker certificate (SAN DNS/IP) and print mosquitto and NanoMQ listener settings.",
        discussion: "Writes server/cert.pem, server/chain.pem (cert + intermediate) and server/key.pem (0600)."
    )

    @OptionGroup var location: CertsDirectoryOption

    @Option(name: .customLong("host"), help: "A DNS name or IP address clients connect to (repeatable; the first is the CN).")
    var hosts: [String] = []
    @Option(help: "Key type: p256, p384, rsa2048, rsa3072, rsa4096.") var keyType = "p256"
    @Option(parsing: .unconditional, help: "Validity in days.") var days = 825
    @Option(parsing: .unconditional, help: "Port for the printed listener settings.") var port = 8883
    @Flag(help: "Replace an existing server certificate.") var force = false

    func run() throws {
        try CertsFailure.wrapping {
            var options = ServerIdentityOptions(directory: location.absolutePath, hosts: hosts)
            options.keyAlgorithm = try KeyAlgorithm(parsing: keyType)
            options.validityDays = days
            options.overwrite = force
            let files = try ServerIdentityIssuer.issue(options)
            let bind = hosts.first { $0.first?.isNumber == true } ?? "127.0.0.1"
            print("server certificate: \(files.certificate)")
            print("server chain:       \(files.chain)")
            print("server key:         \(files.key)")
            print("")
            print("# mosquitto.conf")
            print(BrokerListenerSnippet.mosquitto(files, bindAddress: bind, port: port))
            print("")
            print("# nanomq.conf")
            print(BrokerListenerSnippet.nanoMQ(files, bindAddress: bind, port: port))
        }
    }
}
