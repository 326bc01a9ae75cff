import Foundation
import SwiftASN1
import X509

/// One device identity in memory, ready to be written: key, certificate, chain and index entry.
struct DeviceIdentityMaterial: Sendable {
    let clientID: String
    let keyPEM: String
    let certificatePEM: String
    let chainPEM: String
    let indexEntry: IdentityIndexEntry
}

/// Makes device identities: a fresh key and a certificate whose CN is the client ID, signed by the
/// intermediate, plus the chain file the device presents (leaf, then intermediate).
struct DeviceIdentityFactory: Sendable {
    let authority: SigningAuthority
    /// Signs `foreign-ca` identities; nil unless that fault is asked for.
    let foreignAuthority: SigningAuthority?
    let keyAlgorithm: KeyAlgorithm
    let organization: String?
    let organizationalUnit: String?
    let includeSubjectAlternativeName: Bool
    let validity: ValidityPeriod
    let fault: IdentityFault?
    let now: Date

    /// Throws on a client ID the factory cannot use, before anything is generated.
    func validate(clientID: String) throws {
        try ClientID.validate(clientID)
        try subject(for: clientID).validate()
    }

    func make(clientID: String) throws -> DeviceIdentityMaterial {
        let key = try keyAlgorithm.makePrivateKey()
        let subject = self.subject(for: clientID)
        var period = validity
        switch fault {
        case .expired: period = validity.expired(at: now)
        case .notYetValid: period = validity.notYetValid(at: now)
        default: break
        }
        let signer = fault == .foreignCA ? foreignAuthority ?? authority : authority
        let names: [GeneralName] = includeSubjectAlternativeName ? [.dnsName(clientID)] : []
        let certificate = try signer.sign(
            publicKey: key.publicKey,
            subject: try subject.distinguishedName(),
            validity: period,
            extensions: .device(subjectAlternativeNames: names)
        )
        var serializer = DER.Serializer()
        try serializer.serialize(certificate)
        let der = serializer.serializedBytes
        let certificatePEM = PEMDocument(type: "CERTIFICATE", derBytes: der).pemString + "\n"
        let chainPEM = fault == .noIntermediate ? certificatePEM : certificatePEM + signer.certificatePEM
        let fingerprints = CertificateFingerprints(derBytes: der)
        let folder = PKILayout.relativeDeviceDirectory(clientID)
        let entry = IdentityIndexEntry(fields: [
            clientID,
            subject.commonName,
            folder + "/" + PKILayout.certificateFileName,
            folder + "/" + PKILayout.chainFileName,
            folder + "/" + PKILayout.keyFileName,
            Timestamp.iso8601(certificate.notValidBefore),
            Timestamp.iso8601(certificate.notValidAfter),
            CertificateFingerprints.hex(certificate.serialNumber.bytes),
            fingerprints.sha1Thumbprint,
            fingerprints.sha256Fingerprint,
            keyAlgorithm.rawValue,
            fault?.rawValue ?? "",
        ])
        return DeviceIdentityMaterial(
            clientID: clientID,
            keyPEM: try key.serializeAsPEM().pemString + "\n",
            certificatePEM: certificatePEM,
            chainPEM: chainPEM,
            indexEntry: entry
        )
    }

    private func subject(for clientID: String) -> SubjectFields {
        SubjectFields(
            commonName: fault == .cnMismatch ? IdentityFault.mismatchedCommonName(for: clientID) : clientID,
            organization: organization,
            organizationalUnit: organizationalUnit
        )
    }
}
