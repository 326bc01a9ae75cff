import NIOSSL
import X509

/// What the broker reads from a client's (already verified) certificate.
enum PeerCertificate {
    /// The subject's common name, nil when the certificate has none or cannot be parsed. With several CNs
    /// the last (most specific) one counts, as OpenSSL and mosquitto's `use_identity_as_username` do.
    static func commonName(of certificate: NIOSSLCertificate) -> String? {
        guard let der = try? certificate.toDERBytes(), let parsed = try? Certificate(derEncoded: der) else {
            return nil
        }
        return commonName(of: parsed.subject)
    }

    static func commonName(of subject: DistinguishedName) -> String? {
        var name: String?
        for relativeName in subject {
            for attribute in relativeName where attribute.type == .RDNAttributeType.commonName {
                if let value = String(attribute.value) { name = value }
            }
        }
        return name
    }
}
