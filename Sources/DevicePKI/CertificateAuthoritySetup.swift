import Foundation
import X509

/// What `fleet certs init` is asked to make.
public struct CertificateAuthorityOptions: Sendable {
    /// An existing root to put the intermediate under instead of making a new root (a company root,
    /// or the test broker's root).
    public struct ExistingRoot: Sendable, Hashable {
        public var certificatePath: String
        public var keyPath: String
        public init(certificatePath: String, keyPath: String) {
            self.certificatePath = certificatePath
            self.keyPath = keyPath
        }
    }

    public var directory: String
    public var rootSubject = SubjectFields(commonName: "fleet root CA")
    public var intermediateSubject = SubjectFields(commonName: "fleet intermediate CA")
    public var keyAlgorithm = KeyAlgorithm.p256
    public var rootValidityDays = 3650
    public var intermediateValidityDays = 1825
    public var existingRoot: ExistingRoot?
    /// Replace a CA that is already there; without it an existing CA is an error.
    public var overwrite = false
    public var now = Date()

    public init(directory: String) {
        self.directory = directory
    }
}

/// The files of a freshly made CA.
public struct CertificateAuthorityFiles: Sendable, Hashable {
    public let rootCertificate: String
    /// Nil when the root is someone else's: its key stays where it was.
    public let rootKey: String?
    public let intermediateCertificate: String
    public let intermediateKey: String
}

/// Makes the root and intermediate CA that sign every device.
public enum CertificateAuthoritySetup {
    /// Validates everything, generates the keys and certificates in memory, then writes each file
    /// beside its destination and renames all of them into place.
    @discardableResult
    public static func create(_ options: CertificateAuthorityOptions) throws -> CertificateAuthorityFiles {
        let layout = PKILayout(directory: options.directory)
        try options.rootSubject.validate()
        try options.intermediateSubject.validate()
        let rootValidity = try ValidityPeriod.days(options.rootValidityDays, from: options.now)
        let intermediateValidity = try ValidityPeriod.days(options.intermediateValidityDays, from: options.now)
        try SecureFiles.checkWritable(layout.directory)
        if !options.overwrite {
            for path in [layout.rootCertificate, layout.rootKey, layout.intermediateCertificate, layout.intermediateKey]
            where SecureFiles.exists(path) {
                throw PKIError.certificateAuthorityExists(path: path)
            }
        }

        let root: SigningAuthority
        var contents: [(path: String, text: String, mode: mode_t)] = []
        if let existing = options.existingRoot {
            root = try SigningAuthority.load(certificatePath: existing.certificatePath, keyPath: existing.keyPath)
            if !samePath(existing.certificatePath, layout.rootCertificate) {
                contents.append((layout.rootCertificate, root.certificatePEM, SecureFiles.publicMode))
            }
        } else {
            let rootKey = try options.keyAlgorithm.makePrivateKey()
            root = try SigningAuthority.makeRoot(
                subject: try options.rootSubject.distinguishedName(), validity: rootValidity, key: rootKey)
            contents.append((layout.rootCertificate, root.certificatePEM, SecureFiles.publicMode))
            contents.append((layout.rootKey, try rootKey.serializeAsPEM().pemString + "\n", SecureFiles.privateMode))
        }
        let intermediateKey = try options.keyAlgorithm.makePrivateKey()
        let intermediate = try root.makeIntermediate(
            subject: try options.intermediateSubject.distinguishedName(), validity: intermediateValidity, key: intermediateKey)
        contents.append((layout.intermediateCertificate, intermediate.certificatePEM, SecureFiles.publicMode))
        contents.append((layout.intermediateKey, try intermediateKey.serializeAsPEM().pemString + "\n", SecureFiles.privateMode))

        try SecureFiles.makeDirectories(layout.directory)
        try writeAll(contents)
        let ownsRootKey = options.existingRoot == nil
        if !ownsRootKey && options.overwrite && SecureFiles.exists(layout.rootKey)
            && !samePath(options.existingRoot!.keyPath, layout.rootKey) {
            // A key left from an earlier root no longer matches root.pem.
            unlink(layout.rootKey)
        }
        return CertificateAuthorityFiles(
            rootCertificate: layout.rootCertificate,
            rootKey: ownsRootKey ? layout.rootKey : nil,
            intermediateCertificate: layout.intermediateCertificate,
            intermediateKey: layout.intermediateKey
        )
    }

    /// Writes every file to a temporary name first, and renames only when all were written.
    static func writeAll(_ contents: [(path: String, text: String, mode: mode_t)]) throws {
        var staged: [(temporary: String, path: String)] = []
        do {
            for item in contents {
                let temporary = SecureFiles.temporaryPath(beside: item.path)
                staged.append((temporary, item.path))
                try SecureFiles.create(temporary, contents: item.text, mode: item.mode)
            }
        } catch {
            for item in staged { unlink(item.temporary) }
            throw error
        }
        for item in staged { try SecureFiles.rename(item.temporary, to: item.path) }
    }

    private static func samePath(_ a: String, _ b: String) -> Bool {
        URL(fileURLWithPath: a).standardizedFileURL.resolvingSymlinksInPath().path
            == URL(fileURLWithPath: b).standardizedFileURL.resolvingSymlinksInPath().path
    }
}
