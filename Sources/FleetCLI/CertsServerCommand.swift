import ArgumentParser
import DevicePKI
import Foundation

#if canImport(Glibc)
import Glibc
#endif

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
    @Option(help: """
        The account the broker reads its key as, made the key's owner (it stays 0600). Default: mosquitto, when \
        run as root on a machine with that account (mosquitto started as root reads its files as that user).
        """)
    var keyOwner: String?

    /// The broker's account: the one named, else mosquitto's when we are root (otherwise the broker runs as us).
    private func brokerAccount() throws -> FileReader? {
        if let keyOwner {
            guard let account = FileReader.account(named: keyOwner) else {
                throw CertsFailure(description: "--key-owner: there is no user '\(keyOwner)' on this machine")
            }
            return account
        }
        return geteuid() == 0 ? FileReader.account(named: "mosquitto") : nil
    }

    func run() throws {
        try CertsFailure.wrapping {
            var options = ServerIdentityOptions(directory: location.absolutePath, hosts: hosts)
            options.keyAlgorithm = try KeyAlgorithm(parsing: keyType)
            options.validityDays = days
            options.overwrite = force
            let account = try brokerAccount()
            options.keyOwner = account.flatMap { $0.userID == geteuid() ? nil : $0 }
            let files = try ServerIdentityIssuer.issue(options)
            let bind = hosts.first { $0.first?.isNumber == true } ?? "127.0.0.1"
            print("server certificate: \(files.certificate)")
            print("server chain:       \(files.chain)")
            print("server key:         \(files.key)" + (options.keyOwner.map { " (0600, owned by \($0.name))" } ?? " (0600)"))
            if let account {
                for path in [files.trustedRoot, files.chain, files.key] {
                    guard let obstacle = account.obstacle(toReading: path) else { continue }
                    print("warning: the broker, reading as user \(account.name), cannot open \(path): \(obstacle); "
                        + "keep the PKI in a folder it can enter (e.g. --dir /etc/mosquitto/fleet-certs)")
                }
            }
            print("")
            print("# mosquitto.conf")
            print(BrokerListenerSnippet.mosquitto(files, bindAddress: bind, port: port))
            print("")
            print("# nanomq.conf")
            print(BrokerListenerSnippet.nanoMQ(files, bindAddress: bind, port: port))
        }
    }
}
