/// Who a connected client is, as the authorization rules see it.
public struct ClientIdentity: Sendable, Hashable {
    public var clientID: String
    /// The name permissions are granted to: certificate CN, IoT Hub device ID, or username / client ID.
    public var authenticationName: String

    public init(clientID: String, authenticationName: String) {
        self.clientID = clientID
        self.authenticationName = authenticationName
    }
}
