import Crypto
import Foundation

/// An Azure shared access signature, the password an IoT Hub device sends with MQTT (seed 002):
/// `SharedAccessSignature sr={URL-encoded resource URI}&sig={URL-encoded base64 HMAC-SHA256}&se={expiry}`
/// with an optional `&skn={policy name}`, fields in any order.
///
/// The signature is HMAC-SHA256, keyed with the base64-decoded key, over `"{sr}\n{se}"` where `sr` is the
/// resource URI exactly as the token carries it, which is what every generator signs (the Azure IoT SDK
/// for Python quotes the URI once and uses the same text in both places).
public struct SASToken: Sendable, Hashable {
    /// The resource URI, percent-decoded (`myhub.azure-devices.net/devices/dev1`).
    public var resourceURI: String
    /// The `sr` field as sent: the text that was signed.
    public var encodedResourceURI: String
    /// The HMAC-SHA256, decoded from base64.
    public var signature: [UInt8]
    /// Unix time in seconds after which the token is refused.
    public var expiry: Int
    /// `skn`: the shared access policy whose key signed the token; nil for a device key.
    public var policyName: String?

    public enum ParseError: Error, Hashable, CustomStringConvertible {
        case notASharedAccessSignature
        case missingField(String)
        case duplicateField(String)
        case badPercentEncoding(field: String)
        case badExpiry(String)
        case badSignature

        public var description: String {
            switch self {
            case .notASharedAccessSignature: return "does not start with \"SharedAccessSignature \""
            case .missingField(let name): return "no \(name)= field"
            case .duplicateField(let name): return "\(name)= appears twice"
            case .badPercentEncoding(let field): return "\(field)= is not valid URL encoding"
            case .badExpiry(let text): return "se=\(text) is not a Unix time in seconds"
            case .badSignature: return "sig= is not base64"
            }
        }
    }

    private static let prefix = "SharedAccessSignature "

    public init(parsing text: String) throws(ParseError) {
        guard text.hasPrefix(Self.prefix) else { throw .notASharedAccessSignature }
        var fields: [Substring: Substring] = [:]
        for pair in text.dropFirst(Self.prefix.count).split(separator: "&", omittingEmptySubsequences: false) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2 else { continue }
            guard fields.updateValue(parts[1], forKey: parts[0]) == nil else {
                throw .duplicateField(String(parts[0]))
            }
        }
        guard let sr = fields["sr"] else { throw .missingField("sr") }
        guard let sig = fields["sig"] else { throw .missingField("sig") }
        guard let se = fields["se"] else { throw .missingField("se") }
        guard let resource = Self.percentDecode(sr) else { throw .badPercentEncoding(field: "sr") }
        guard let signatureText = Self.percentDecode(sig) else { throw .badPercentEncoding(field: "sig") }
        guard let signature = Data(base64Encoded: signatureText), !signature.isEmpty else { throw .badSignature }
        guard !se.isEmpty, se.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
              let expiry = Int(se)
        else { throw .badExpiry(String(se)) }
        var policy: String?
        if let skn = fields["skn"] {
            guard let decoded = Self.percentDecode(skn) else { throw .badPercentEncoding(field: "skn") }
            policy = decoded
        }
        self.resourceURI = resource
        self.encodedResourceURI = String(sr)
        self.signature = Array(signature)
        self.expiry = expiry
        self.policyName = policy
    }

    /// Whether `key` (raw bytes, not base64) produced this token's signature. Constant time.
    public func isSigned(with key: Data) -> Bool {
        let message = Data("\(encodedResourceURI)\n\(expiry)".utf8)
        return HMAC<SHA256>.isValidAuthenticationCode(signature, authenticating: message, using: SymmetricKey(data: key))
    }

    /// A token for `resourceURI` signed with `key` (raw bytes) that expires at `expiry` (Unix seconds),
    /// byte for byte what the Azure IoT SDK for Python produces.
    public static func generate(resourceURI: String, key: Data, expiry: Int, policyName: String? = nil) -> String {
        let encodedURI = percentEncode(resourceURI)
        let mac = HMAC<SHA256>.authenticationCode(for: Data("\(encodedURI)\n\(expiry)".utf8),
                                                  using: SymmetricKey(data: key))
        var token = "\(prefix)sr=\(encodedURI)&sig=\(percentEncode(Data(mac).base64EncodedString()))&se=\(expiry)"
        if let policyName { token += "&skn=\(percentEncode(policyName))" }
        return token
    }

    /// As `generate(resourceURI:key:expiry:policyName:)` with the key as Azure shows it (base64); nil when
    /// `base64Key` is not base64.
    public static func generate(resourceURI: String, base64Key: String, expiry: Int, policyName: String? = nil) -> String? {
        guard let key = Data(base64Encoded: base64Key) else { return nil }
        return generate(resourceURI: resourceURI, key: key, expiry: expiry, policyName: policyName)
    }

    /// Percent-encodes every byte but the unreserved `A–Z a–z 0–9 - . _ ~` (uppercase hex), like Python's
    /// `urllib.parse.quote(s, safe="")`.
    public static func percentEncode(_ text: String) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        PercentCoding.encode(text, into: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// `%XX` → byte; anything else literal (`+` stays `+`: resource URIs hold no spaces). nil on a broken
    /// escape or bytes that are not UTF-8.
    static func percentDecode(_ text: Substring) -> String? {
        Array(text.utf8).withUnsafeBufferPointer(PercentCoding.decode)
    }
}
