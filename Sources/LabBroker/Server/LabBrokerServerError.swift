/// Why the lab broker could not start.
public enum LabBrokerServerError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The profile imitates a broker that offers no unencrypted port (`requiresTLS`).
    case plainListenerRefused(profile: String, listener: String)
    /// A certificate, key or trust root file is missing or unusable.
    case tlsConfiguration(String)
    /// The address could not be bound (in use, not local, invalid).
    case bindFailed(listener: String, reason: String)
    /// A WebSocket path must be absolute (start with "/").
    case invalidWebSocketPath(String)

    public var description: String {
        switch self {
        case .plainListenerRefused(let profile, let listener):
            return "profile \(profile) requires TLS: refusing the unencrypted listener \(listener)"
                + " (use mqtts:// or wss:// with a server identity)"
        case .tlsConfiguration(let detail):
            return "TLS configuration: \(detail)"
        case .bindFailed(let listener, let reason):
            return "cannot listen on \(listener): \(reason)"
        case .invalidWebSocketPath(let path):
            return "invalid WebSocket path \"\(path)\": it must start with /"
        }
    }
}
