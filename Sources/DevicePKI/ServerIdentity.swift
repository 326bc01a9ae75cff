import Foundation
import SwiftASN1
import X509

#if canImport(Darwin)
import Darwin
#elseif canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// What `fleet certs server` is asked to make: a broker certificate for the given hosts, signed by the intermediate.
public struct ServerIdentityOptions: Sendable {
    public var directory: String
    /// DNS names and IP addresses clients connect to; the first is also the CN.
    public var hosts: [String]
    public var keyAlgorithm = KeyAlgorithm.p256
    public var validityDays = 825
    public var organization: String?
    public var overwrite = false
    public var now = Date()
    /// The account the broker reads its key as, made the key's owner (the key stays 0600); nil keeps ours.
    public var keyOwner: FileReader?

    public init(directory: String, hosts: [String]) {
        self.directory = directory
        self.hosts = hosts
    }
}

/// The broker's files: its certificate, the chain it serves (leaf + intermediate), its key, and the
/// root that clients (and the broker, to check devices) trust.
public struct ServerIdentityFiles: Sendable, Hashable {
    public let certificate: String
    public let chain: String
    public let key: String
    public let trustedRoot: String
}

public enum ServerIdentityIssuer {
    @discardableResult
    public static func issue(_ options: ServerIdentityOptions) throws -> ServerIdentityFiles {
        let layout = PKILayout(directory: options.directory)
        guard let commonName = options.hosts.first else { throw PKIError.noHosts }
        let names = try options.hosts.map(generalName(for:))
        let subject = SubjectFields(commonName: commonName, organization: options.organization)
        try subject.validate()
        let validity = try ValidityPeriod.days(options.validityDays, from: options.now)
        guard SecureFiles.exists(layout.intermediateCertificate) else {
            throw PKIError.certificateAuthorityMissing(path: layout.intermediateCertificate)
        }
        let authority = try SigningAuthority.load(
            certificatePath: layout.intermediateCertificate, keyPath: layout.intermediateKey)
        try SecureFiles.checkWritable(layout.serverDirectory)
        if !options.overwrite {
            for path in [layout.serverCertificate, layout.serverChain, layout.serverKey] where SecureFiles.exists(path) {
                throw PKIError.serverIdentityExists(path: path)
            }
        }

        let key = try options.keyAlgorithm.makePrivateKey()
        let certificate = try authority.sign(
            publicKey: key.publicKey, subject: try subject.distinguishedName(), validity: validity,
            extensions: .server(subjectAlternativeNames: names))
        let certificatePEM = try certificate.serializeAsPEM().pemString + "\n"
        if !SecureFiles.isDirectory(layout.serverDirectory) {
            try SecureFiles.makeDirectories(layout.serverDirectory)
        }
        try CertificateAuthoritySetup.writeAll([
            (layout.serverKey, try key.serializeAsPEM().pemString + "\n", SecureFiles.privateMode),
            (layout.serverCertificate, certificatePEM, SecureFiles.publicMode),
            (layout.serverChain, certificatePEM + authority.certificatePEM, SecureFiles.publicMode),
        ])
        if let owner = options.keyOwner { try SecureFiles.giveOwnership(of: layout.serverKey, to: owner) }
        return ServerIdentityFiles(
            certificate: layout.serverCertificate, chain: layout.serverChain, key: layout.serverKey,
            trustedRoot: layout.rootCertificate)
    }

    /// An IP address SAN for IPv4/IPv6 literals, a DNS SAN for host names.
    static func generalName(for host: String) throws -> GeneralName {
        var v4 = in_addr()
        if inet_pton(AF_INET, host, &v4) == 1 {
            return .ipAddress(ASN1OctetString(contentBytes: withUnsafeBytes(of: &v4) { ArraySlice($0) }))
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, host, &v6) == 1 {
            return .ipAddress(ASN1OctetString(contentBytes: withUnsafeBytes(of: &v6) { ArraySlice($0) }))
        }
        let labels = host.split(separator: ".", omittingEmptySubsequences: false)
        let valid = !host.isEmpty && host.utf8.count <= 253 && labels.enumerated().allSatisfy { position, label in
            if position == 0 && label == "*" && labels.count > 1 { return true }
            return !label.isEmpty && label.count <= 63 && !label.hasPrefix("-") && !label.hasSuffix("-")
                && label.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
        }
        guard valid else { throw PKIError.invalidHost(host) }
        return .dnsName(host.lowercased())
    }
}
