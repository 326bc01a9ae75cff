/// An IoT Hub operator's request to each selected device, sent by the service side of the lab broker's
/// `iothub` profile through that device's own subscriptions (a device without a session or a matching
/// subscription does not get it, as on IoT Hub).
public struct IoTHubSpec: Sendable, Hashable {
    public var target: Target
    public var request: IoTHubRequestSpec

    public init(target: Target, request: IoTHubRequestSpec) {
        self.target = target
        self.request = request
    }
}

/// What the operator sends. Templates take per-device and per-message placeholders, filled per device.
public enum IoTHubRequestSpec: Sendable, Hashable {
    /// A cloud-to-device message on `devices/{id}/messages/devicebound/{property bag}`.
    case cloudToDevice(payload: Template, properties: [IoTHubPropertySpec])
    /// A desired-properties patch (a JSON object; null deletes), notified on
    /// `$iothub/twin/PATCH/properties/desired/?$version={v}`.
    case desired(patch: Template)
    /// A direct method call on `$iothub/methods/POST/{name}/?$rid={rid}`, answered by the device on
    /// `$iothub/methods/res/{status}/?$rid={rid}` (a `respond:` rule with `{rid}`) before `timeout`;
    /// nil: IoT Hub's default (30 s).
    case method(name: String, payload: Template, timeout: Duration?)

    /// The step's request kind as written in the scenario (`c2d`, `desired`, `method`).
    public var keyword: String {
        switch self {
        case .cloudToDevice: "c2d"
        case .desired: "desired"
        case .method: "method"
        }
    }
}

/// One application property of a cloud-to-device message (URL-encoded into the topic by the hub).
public struct IoTHubPropertySpec: Sendable, Hashable {
    public var name: String
    public var value: Template

    public init(name: String, value: Template) {
        self.name = name
        self.value = value
    }
}

/// IoT Hub's documented bounds the loader checks an `iothub` step against before anything runs.
public enum IoTHubStepLimits {
    /// Direct methods guide: "the timeout … settable from 5 to 300 seconds" (default 30 s).
    public static let methodTimeout: ClosedRange<Duration> = .seconds(5) ... .seconds(300)
    /// A method name becomes a topic level; the lab broker takes at most this many bytes (a lab bound).
    public static let methodNameBytes = 128
}
