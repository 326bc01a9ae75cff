import Crypto

/// The two ways brokers and people name a certificate by hash.
public struct CertificateFingerprints: Sendable, Hashable, Codable {
    /// SHA-1 of the DER certificate, uppercase hex without separators (IoT Hub takes it or SHA-256).
    public let sha1Thumbprint: String
    /// SHA-256 of the DER certificate, uppercase hex without separators: what Event Grid's samples register
    /// for ThumbprintMatch (`step certificate fingerprint`).
    public let sha256Fingerprint: String

    public init(derBytes: [UInt8]) {
        sha1Thumbprint = Self.hex(Insecure.SHA1.hash(data: derBytes))
        sha256Fingerprint = Self.hex(SHA256.hash(data: derBytes))
    }

    static func hex<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        let digits = Array("0123456789ABCDEF".utf8)
        var result: [UInt8] = []
        result.reserveCapacity(64)
        for byte in bytes {
            result.append(digits[Int(byte >> 4)])
            result.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: result, as: UTF8.self)
    }
}
