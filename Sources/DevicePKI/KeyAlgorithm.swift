import Crypto
import _CryptoExtras
import X509

/// The key types the fleet can give a CA, a broker or a device.
///
/// ECDSA P-256 is the default because it is what constrained devices (ESP32, ATECC608) handle best
/// and it is fast enough to issue tens of thousands of identities in seconds; RSA is there for
/// brokers and fleets that still require it.
public enum KeyAlgorithm: String, CaseIterable, Sendable, Codable {
    case p256
    case p384
    case rsa2048
    case rsa3072
    case rsa4096

    /// Parses the names people type: `p256`, `P-256`, `ecdsa-p256`, `prime256v1`, `rsa2048`, `rsa-2048`, `RSA:2048`.
    public init(parsing text: String) throws {
        let compact = text.lowercased().filter { $0.isLetter || $0.isNumber }
        switch compact {
        case "p256", "ecdsap256", "ecp256", "prime256v1", "secp256r1", "ecdsa", "ec": self = .p256
        case "p384", "ecdsap384", "ecp384", "secp384r1": self = .p384
        case "rsa2048", "rsa": self = .rsa2048
        case "rsa3072": self = .rsa3072
        case "rsa4096": self = .rsa4096
        default: throw PKIError.unknownKeyAlgorithm(text)
        }
    }

    /// A fresh private key of this type.
    public func makePrivateKey() throws -> Certificate.PrivateKey {
        switch self {
        case .p256: return Certificate.PrivateKey(P256.Signing.PrivateKey())
        case .p384: return Certificate.PrivateKey(P384.Signing.PrivateKey())
        case .rsa2048: return Certificate.PrivateKey(try _RSA.Signing.PrivateKey(keySize: .bits2048))
        case .rsa3072: return Certificate.PrivateKey(try _RSA.Signing.PrivateKey(keySize: .bits3072))
        case .rsa4096: return Certificate.PrivateKey(try _RSA.Signing.PrivateKey(keySize: .bits4096))
        }
    }
}

extension Certificate.PrivateKey {
    /// The signature algorithm a certificate signed by this key carries: SHA-384 for P-384, SHA-512 for P-521, SHA-256 for RSA and P-256.
    var preferredSignatureAlgorithm: Certificate.SignatureAlgorithm {
        if P384.Signing.PublicKey(publicKey) != nil { return .ecdsaWithSHA384 }
        if P521.Signing.PublicKey(publicKey) != nil { return .ecdsaWithSHA512 }
        if _RSA.Signing.PublicKey(publicKey) != nil { return .sha256WithRSAEncryption }
        if Curve25519.Signing.PublicKey(publicKey) != nil { return .ed25519 }
        return .ecdsaWithSHA256
    }
}
