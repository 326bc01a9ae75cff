import ArgumentParser
import DevicePKI
import Foundation

/// `fleet certs init`: a root CA and an intermediate CA, or an intermediate under an existing root.
struct CertsInitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create the root CA and the intermediate CA that signs devices.",
        discussion: """
            Writes root.pem, root.key, intermediate.pem and intermediate.key (keys 0600). With --root-cert and \
            --root-key the intermediate goes under that existing root; root.pem is a copy of it and its key stays \
            where it is. Refuses to replace an existing CA without --force.
            """
    )

    @OptionGroup var location: CertsDirectoryOption

    @Option(help: "Key type: p256, p384, rsa2048, rsa3072, rsa4096.")
    var keyType = "p256"

    @Option(help: "Root CA common name.") var rootCN = "fleet root CA"
    @Option(help: "Intermediate CA common name.") var intermediateCN = "fleet intermediate CA"
    @Option(name: .customLong("o"), help: "Organization (O) of both CAs.") var organization: String?
    @Option(name: .customLong("ou"), help: "Organizational unit (OU) of both CAs.") var organizationalUnit: String?
    @Option(name: .customLong("c"), help: "Two-letter country (C) of both CAs.") var country: String?

    @Option(parsing: .unconditional, help: "Root validity in days.") var rootDays = 3650
    @Option(parsing: .unconditional, help: "Intermediate validity in days.") var intermediateDays = 1825

    @Option(help: "An existing root certificate (PEM) to sign the intermediate with.") var rootCert: String?
    @Option(help: "The private key (PEM) of --root-cert.") var rootKey: String?

    @Flag(help: "Replace an existing CA (devices issued under the old one stop verifying).") var force = false

    func run() throws {
        try CertsFailure.wrapping {
            var options = CertificateAuthorityOptions(directory: location.absolutePath)
            options.keyAlgorithm = try KeyAlgorithm(parsing: keyType)
            options.rootSubject = SubjectFields(
                commonName: rootCN, organization: organization, organizationalUnit: organizationalUnit, country: country)
            options.intermediateSubject = SubjectFields(
                commonName: intermediateCN, organization: organization, organizationalUnit: organizationalUnit, country: country)
            options.rootValidityDays = rootDays
            options.intermediateValidityDays = intermediateDays
            options.overwrite = force
            switch (rootCert, rootKey) {
            case (let certificate?, let key?):
                options.existingRoot = .init(certificatePath: certificate, keyPath: key)
            case (nil, nil):
                break
            default:
                throw CertsFailure(description: "--root-cert and --root-key go together")
            }
            let files = try CertificateAuthoritySetup.create(options)
            print("root CA:         \(files.rootCertificate)")
            if let key = files.rootKey { print("root key:        \(key)") }
            print("intermediate CA: \(files.intermediateCertificate)")
            print("intermediate key: \(files.intermediateKey)")
        }
    }
}
