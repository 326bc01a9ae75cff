/// What an IoT Hub device does with its device twin over MQTT, as the device SDKs do (seed 002): it reads the
/// twin with `$iothub/twin/GET/?$rid={n}` and updates its reported properties with
/// `$iothub/twin/PATCH/properties/reported/?$rid={n}`, and the hub answers each on
/// `$iothub/twin/res/{status}/?$rid={n}` (which the group must subscribe to, `$iothub/twin/res/#`).
public struct TwinSpec: Sendable, Hashable {
    /// Read the twin after each connect, once the subscriptions are granted (`get: on-connect`, the default).
    public var getOnConnect: Bool
    public var report: TwinReportSpec?
    /// QoS of the requests (default 0, as seed 002's sample publishes them).
    public var qos: Int

    public init(getOnConnect: Bool = true, report: TwinReportSpec? = nil, qos: Int = 0) {
        self.getOnConnect = getOnConnect
        self.report = report
        self.qos = qos
    }
}

/// The reported-properties patch a device sends after each connect and then every `every` while connected.
public struct TwinReportSpec: Sendable, Hashable {
    /// The JSON patch; `{sequence}` counts the device's patches from 0, other telemetry placeholders as usual.
    public var payload: Template
    /// nil: once per connection.
    public var every: Duration?

    public init(payload: Template, every: Duration? = nil) {
        self.payload = payload
        self.every = every
    }
}
