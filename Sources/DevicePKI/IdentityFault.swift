/// A deliberately broken device identity, for scenarios that check how a broker refuses bad devices.
public enum IdentityFault: String, CaseIterable, Sendable, Codable {
    /// Validity ended a day ago; brokers answer "certificate has expired".
    case expired
    /// Validity starts tomorrow; brokers answer "certificate is not yet valid".
    case notYetValid = "not-yet-valid"
    /// Signed by a CA the broker does not trust (kept in `foreign/`); "unable to get local issuer certificate".
    case foreignCA = "foreign-ca"
    /// Correctly signed, but the CN is not the client ID the device connects with.
    case cnMismatch = "cn-mismatch"
    /// Correctly signed, but the chain file holds only the leaf, as firmware that forgot the intermediate sends it.
    case noIntermediate = "no-intermediate"

    public init(parsing text: String) throws {
        guard let fault = IdentityFault(rawValue: text.lowercased()) else { throw PKIError.unknownFault(text) }
        self = fault
    }

    /// The CN a `cn-mismatch` identity carries instead of its client ID.
    public static func mismatchedCommonName(for clientID: String) -> String {
        "\(clientID)-impostor"
    }
}
