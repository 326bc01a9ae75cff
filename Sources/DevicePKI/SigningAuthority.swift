import Crypto
import SwiftASN1
import X509

/// A CA certificate with its private key: what signs the next certificate down.
public struct SigningAuthority: Sendable {
    public let certificate: Certificate
    public let privateKey: Certificate.PrivateKey
    /// The certificate as PEM, appended to every chain this authority signs.
    public let certificatePEM: String
    /// The key identifier children name in their Authority Key Identifier: the CA's own SKI when it has one.
    let keyIdentifier: ArraySlice<UInt8>

    public init(certificate: Certificate, privateKey: Certificate.PrivateKey) throws {
        self.certificate = certificate
        self.privateKey = privateKey
        self.certificatePEM = try certificate.serializeAsPEM().pemString + "\n"
        self.keyIdentifier = try certificate.extensions.subjectKeyIdentifier?.keyIdentifier
            ?? SubjectKeyIdentifier(hash: certificate.publicKey).keyIdentifier
    }

    /// Loads a CA from PEM files and checks that the key belongs to the certificate.
    public static func load(certificatePath: String, keyPath: String) throws -> SigningAuthority {
        let certificate: Certificate
        let key: Certificate.PrivateKey
        do {
            certificate = try Certificate(pemEncoded: try SecureFiles.read(certificatePath))
        } catch let error as PKIError {
            throw error
        } catch {
            throw PKIError.unreadableFile(path: certificatePath, reason: "not a PEM certificate")
        }
        do {
            key = try Certificate.PrivateKey(pemEncoded: try SecureFiles.read(keyPath))
        } catch let error as PKIError {
            throw error
        } catch {
            throw PKIError.unreadableFile(path: keyPath, reason: "not a PEM private key (PKCS#8, SEC1 or PKCS#1)")
        }
        guard key.publicKey == certificate.publicKey else {
            throw PKIError.keyDoesNotMatchCertificate(certificatePath: certificatePath, keyPath: keyPath)
        }
        return try SigningAuthority(certificate: certificate, privateKey: key)
    }

    /// Signs a certificate for `publicKey` with the given subject, validity and profile extensions.
    func sign(
        publicKey: Certificate.PublicKey,
        subject: DistinguishedName,
        validity: ValidityPeriod,
        extensions profile: CertificateProfile
    ) throws -> Certificate {
        try Certificate(
            version: .v3,
            serialNumber: Certificate.SerialNumber(),
            publicKey: publicKey,
            notValidBefore: validity.notBefore,
            notValidAfter: validity.notAfter,
            issuer: certificate.subject,
            subject: subject,
            signatureAlgorithm: privateKey.preferredSignatureAlgorithm,
            extensions: try profile.extensions(subjectKey: publicKey, authorityKeyIdentifier: keyIdentifier),
            issuerPrivateKey: privateKey
        )
    }

    /// A self-signed root CA.
    static func makeRoot(subject: DistinguishedName, validity: ValidityPeriod, key: Certificate.PrivateKey) throws -> SigningAuthority {
        let certificate = try Certificate(
            version: .v3,
            serialNumber: Certificate.SerialNumber(),
            publicKey: key.publicKey,
            notValidBefore: validity.notBefore,
            notValidAfter: validity.notAfter,
            issuer: subject,
            subject: subject,
            signatureAlgorithm: key.preferredSignatureAlgorithm,
            extensions: try CertificateProfile.root.extensions(subjectKey: key.publicKey, authorityKeyIdentifier: nil),
            issuerPrivateKey: key
        )
        return try SigningAuthority(certificate: certificate, privateKey: key)
    }

    /// An intermediate CA signed by this authority.
    func makeIntermediate(subject: DistinguishedName, validity: ValidityPeriod, key: Certificate.PrivateKey) throws -> SigningAuthority {
        let certificate = try sign(publicKey: key.publicKey, subject: subject, validity: validity, extensions: .intermediate)
        return try SigningAuthority(certificate: certificate, privateKey: key)
    }
}
