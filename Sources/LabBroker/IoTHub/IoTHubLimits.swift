import NIOCore

/// The bounds the lab's IoT Hub enforces. Defaults are IoT Hub's documented figures for one S1 unit
/// ("IoT Hub quotas and throttling", "Understand and use device twins", "Understand and invoke direct
/// methods"); the ones marked *lab* are this broker's own, where the documentation gives none.
public struct IoTHubLimits: Sendable, Hashable {
    /// Twin GETs per second, hub-wide (quotas: "Twin (device and module) reads: 100/sec" on S1).
    public var twinReadsPerSecond: Int
    /// Reported-property patches per second, hub-wide (quotas: "Twin updates: 50/sec" on S1).
    public var twinUpdatesPerSecond: Int
    /// How many seconds of rate a burst may use before 429 (quotas: throttles "are applied in minute
    /// ranges", with traffic shaping absorbing bursts): a token bucket of `rate × throttleWindowSeconds`.
    public var throttleWindowSeconds: Int
    /// Size of `properties/desired` and of `properties/reported` each, as the twin guide computes it
    /// (keys and string values by UTF-8 length without control characters, numbers 8, booleans 4).
    public var twinSectionBytes: Int
    /// Nesting of objects below a section (twin guide: "maximum depth … is 10").
    public var twinDepth: Int
    /// Twin keys: "up-to 1 KB in length".
    public var twinKeyBytes: Int
    /// Twin string values: "a maximum length of 4 KB".
    public var twinStringBytes: Int
    /// Twins kept (quotas: at most 1,000,000 devices in a hub); past it, patches of new devices get 503.
    public var twins: Int
    /// Direct method request payload (direct methods guide: "up to 128 KB").
    public var methodPayloadBytes: Int
    /// When the operator names none (direct methods guide: default 30 s, settable from 5 to 300 s).
    public var defaultMethodTimeout: TimeAmount
    public var methodTimeoutRange: ClosedRange<TimeAmount>
    /// Direct method calls awaiting the device's response (*lab*).
    public var pendingMethods: Int
    /// Completions kept until the operator takes them; the oldest are dropped past it (*lab*).
    public var completedMethods: Int
    /// Cloud-to-device message payload (quotas: "Maximum message size 64 KB").
    public var cloudToDeviceBytes: Int
    /// Subscriptions a device may hold ("A device can only subscribe to five topics at a time"); the
    /// engine enforces it, since the endpoint sees one filter at a time.
    public var subscriptionsPerDevice: Int

    public init(
        twinReadsPerSecond: Int = 100,
        twinUpdatesPerSecond: Int = 50,
        throttleWindowSeconds: Int = 60,
        twinSectionBytes: Int = 32 * 1024,
        twinDepth: Int = 10,
        twinKeyBytes: Int = 1024,
        twinStringBytes: Int = 4 * 1024,
        twins: Int = 1_000_000,
        methodPayloadBytes: Int = 128 * 1024,
        defaultMethodTimeout: TimeAmount = .seconds(30),
        methodTimeoutRange: ClosedRange<TimeAmount> = .seconds(5) ... .seconds(300),
        pendingMethods: Int = 10_000,
        completedMethods: Int = 10_000,
        cloudToDeviceBytes: Int = 64 * 1024,
        subscriptionsPerDevice: Int = 5
    ) {
        self.twinReadsPerSecond = twinReadsPerSecond
        self.twinUpdatesPerSecond = twinUpdatesPerSecond
        self.throttleWindowSeconds = throttleWindowSeconds
        self.twinSectionBytes = twinSectionBytes
        self.twinDepth = twinDepth
        self.twinKeyBytes = twinKeyBytes
        self.twinStringBytes = twinStringBytes
        self.twins = twins
        self.methodPayloadBytes = methodPayloadBytes
        self.defaultMethodTimeout = defaultMethodTimeout
        self.methodTimeoutRange = methodTimeoutRange
        self.pendingMethods = pendingMethods
        self.completedMethods = completedMethods
        self.cloudToDeviceBytes = cloudToDeviceBytes
        self.subscriptionsPerDevice = subscriptionsPerDevice
    }
}
