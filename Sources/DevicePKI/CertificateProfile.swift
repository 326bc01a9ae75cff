import _CryptoExtras
import X509

/// The extensions each kind of certificate in the fleet PKI carries.
enum CertificateProfile: Sendable {
    /// CA:TRUE (critical), keyCertSign + cRLSign (critical).
    case root
    /// CA:TRUE with pathlen:0 (critical), keyCertSign + cRLSign (critical): signs end entities only.
    case intermediate
    /// digitalSignature (critical), EKU clientAuth, optional SAN.
    case device(subjectAlternativeNames: [GeneralName])
    /// digitalSignature (+ keyEncipherment for RSA keys, for TLS 1.2 RSA key exchange) (critical),
    /// EKU serverAuth, SAN with the broker's DNS names and IPs.
    case server(subjectAlternativeNames: [GeneralName])

    func extensions(subjectKey: Certificate.PublicKey, authorityKeyIdentifier: ArraySlice<UInt8>?) throws -> Certificate.Extensions {
        let subjectKeyIdentifier = SubjectKeyIdentifier(hash: subjectKey)
        switch self {
        case .root:
            return try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
                subjectKeyIdentifier
            }
        case .intermediate:
            return try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
                subjectKeyIdentifier
                AuthorityKeyIdentifier(keyIdentifier: authorityKeyIdentifier)
            }
        case .device(let names):
            return try endEntity(
                keyUsage: KeyUsage(digitalSignature: true), usage: .clientAuth, names: names,
                subjectKeyIdentifier, authorityKeyIdentifier)
        case .server(let names):
            let isRSA = _RSA.Signing.PublicKey(subjectKey) != nil
            return try endEntity(
                keyUsage: KeyUsage(digitalSignature: true, keyEncipherment: isRSA), usage: .serverAuth, names: names,
                subjectKeyIdentifier, authorityKeyIdentifier)
        }
    }

    private func endEntity(
        keyUsage: KeyUsage,
        usage: ExtendedKeyUsage.Usage,
        names: [GeneralName],
        _ subjectKeyIdentifier: SubjectKeyIdentifier,
        _ authorityKeyIdentifier: ArraySlice<UInt8>?
    ) throws -> Certificate.Extensions {
        try Certificate.Extensions {
            Critical(BasicConstraints.notCertificateAuthority)
            Critical(keyUsage)
            try ExtendedKeyUsage([usage])
            subjectKeyIdentifier
            AuthorityKeyIdentifier(keyIdentifier: authorityKeyIdentifier)
            if !names.isEmpty { SubjectAlternativeNames(names) }
        }
    }
}
