/// One device with every per-device template filled in: what a device state machine needs to run.
public struct DevicePlan: Sendable, Hashable {
    public var group: String
    /// 1-based position in its group (what `{index}` renders); with `sessions`, its identity's, shared by
    /// the identity's sessions.
    public var index: Int
    /// 0-based position in `Plan.devices()`: stable across runs of the same file.
    public var ordinal: Int
    public var clientID: String
    public var personality: Personality
    public var protocolVersion: ProtocolVersion
    public var keepAlive: Duration
    public var cleanStart: Bool
    public var sessionExpiry: Duration?
    public var credentials: DeviceCredentials
    public var telemetry: DeviceTelemetry?
    public var subscribe: [DeviceSubscription]
    public var will: DeviceWill?
    public var birth: DeviceBirth?
    public var respond: [DeviceResponse]
    public var retry: RetryPolicy
    public var bootDelay: Duration
    public var maxPacketSize: Int
    /// The identity a session belongs to (`sessions:`, `authentication-name:`); nil: its client ID.
    public var authenticationName: String? = nil
}

/// A device's credentials, resolved to its own username or files.
public enum DeviceCredentials: Sendable, Hashable {
    case none
    case usernamePassword(username: String, password: String)
    /// A client certificate, and the username sent with it when the group gives one.
    case certificate(DeviceIdentityFiles, username: String? = nil)
    /// IoT Hub SAS: a fresh token at each connect, signed with the device's (or its policy's) key.
    case sas(DeviceSAS)
}

/// Where one device's certificate chain and private key live in a `fleet certs` folder.
///
/// The single definition of the per-device layout: the loader checks these files exist,
/// the fleet loads them, both through this type.
public struct DeviceIdentityFiles: Sendable, Hashable {
    /// `<certificates>/devices/<clientId>/chain.pem`: leaf followed by its intermediate(s).
    public var chain: String
    /// `<certificates>/devices/<clientId>/key.pem`.
    public var key: String

    public init(chain: String, key: String) {
        self.chain = chain
        self.key = key
    }

    public init(directory: String, clientID: String) {
        let folder = directory.hasSuffix("/") ? directory : directory + "/"
        chain = folder + "devices/" + clientID + "/chain.pem"
        key = folder + "devices/" + clientID + "/key.pem"
    }
}

/// Telemetry with the topic filled in for one device; the payload still carries per-message placeholders.
public struct DeviceTelemetry: Sendable, Hashable {
    public var topic: String
    public var every: Duration
    public var qos: Int
    public var retain: Bool
    public var payload: Template
    public var contentType: String?
    public var messageExpiry: Duration?
    /// Per-device placeholders bound; per-message ones left for each publish.
    public var userProperties: [UserPropertySpec]
}

public struct DeviceSubscription: Sendable, Hashable {
    public var filter: String
    public var qos: Int
}

public struct DeviceWill: Sendable, Hashable {
    public var topic: String
    public var payload: String
    public var qos: Int
    public var retain: Bool
    public var delay: Duration?
    public var messageExpiry: Duration?
    public var contentType: String?
}

public struct DeviceBirth: Sendable, Hashable {
    public var topic: String
    public var payload: String
    public var qos: Int
    public var retain: Bool
}
