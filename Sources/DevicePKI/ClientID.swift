/// Rules for client IDs, which name a device's folder and its certificate's CN.
public enum ClientID {
    /// The longest client ID: RFC 5280's upper bound for a CN.
    public static let maximumLength = 64

    /// Throws unless `clientID` is safe as a folder name and as a CN: not empty, at most 64 bytes,
    /// no `/` or `\`, no `..`, not starting with `.` (hidden, and reserved for staging folders), no control characters.
    public static func validate(_ clientID: String) throws {
        func reject(_ reason: String) -> PKIError { .invalidClientID(clientID: clientID, reason: reason) }
        guard !clientID.isEmpty else { throw reject("it is empty") }
        guard clientID.utf8.count <= maximumLength else { throw reject("it is longer than \(maximumLength) bytes") }
        guard !clientID.contains("/"), !clientID.contains("\\") else { throw reject("it contains a path separator") }
        guard !clientID.contains("..") else { throw reject("it contains '..'") }
        guard !clientID.hasPrefix(".") else { throw reject("it starts with '.'") }
        guard !clientID.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw reject("it contains control characters")
        }
    }
}
