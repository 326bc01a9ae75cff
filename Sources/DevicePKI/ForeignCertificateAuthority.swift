import Foundation

/// A root and intermediate that no broker trusts, made once and kept in `foreign/`, to sign the
/// identities of the `foreign-ca` fault (a device from someone else's PKI).
enum ForeignCertificateAuthority {
    static func loadOrCreate(layout: PKILayout, keyAlgorithm: KeyAlgorithm, now: Date) throws -> SigningAuthority {
        if SecureFiles.exists(layout.foreignIntermediateCertificate) {
            return try SigningAuthority.load(
                certificatePath: layout.foreignIntermediateCertificate, keyPath: layout.foreignIntermediateKey)
        }
        let rootKey = try keyAlgorithm.makePrivateKey()
        let root = try SigningAuthority.makeRoot(
            subject: try SubjectFields(commonName: "fleet foreign root CA (untrusted)").distinguishedName(),
            validity: try ValidityPeriod.days(3650, from: now), key: rootKey)
        let intermediateKey = try keyAlgorithm.makePrivateKey()
        let intermediate = try root.makeIntermediate(
            subject: try SubjectFields(commonName: "fleet foreign intermediate CA (untrusted)").distinguishedName(),
            validity: try ValidityPeriod.days(1825, from: now), key: intermediateKey)
        if !SecureFiles.isDirectory(layout.foreignDirectory) {
            try SecureFiles.makeDirectory(layout.foreignDirectory)
        }
        try CertificateAuthoritySetup.writeAll([
            (layout.foreignRootCertificate, root.certificatePEM, SecureFiles.publicMode),
            (layout.foreignRootKey, try rootKey.serializeAsPEM().pemString + "\n", SecureFiles.privateMode),
            (layout.foreignIntermediateKey, try intermediateKey.serializeAsPEM().pemString + "\n", SecureFiles.privateMode),
            // Last: its presence means the foreign CA is complete.
            (layout.foreignIntermediateCertificate, intermediate.certificatePEM, SecureFiles.publicMode),
        ])
        return intermediate
    }
}
