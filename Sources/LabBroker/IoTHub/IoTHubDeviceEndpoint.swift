import MQTTCore
import NIOCore

/// Azure IoT Hub's device-facing MQTT surface (seed 002): the only topics a device may use, and the
/// service side of twins and direct methods.
///
/// A value confined to the engine's event loop. The engine asks `allowsPublish` / `allowsSubscribe` for
/// every PUBLISH and SUBSCRIBE of a device, then hands each allowed PUBLISH to `serve`. The hub's replies
/// and the operator's messages (see `IoTHubOperator.swift`) are addressed to one device: their topics
/// (`$iothub/twin/res/…`, `$iothub/methods/POST/…`) carry no device ID, so they must be delivered only
/// through that device's own subscriptions, never routed to every matching subscriber.
public struct IoTHubDeviceEndpoint: Sendable {
    public let rules: IoTHubRules
    public let limits: IoTHubLimits

    /// Only devices whose twin changed from the initial one have an entry.
    private var twins: [String: DeviceTwin] = [:]
    private var twinReads: RequestThrottle
    private var twinUpdates: RequestThrottle
    var methods: DirectMethodTable

    /// With IoT Hub's documented S1 limits.
    public init(rules: IoTHubRules) {
        self.init(rules: rules, limits: IoTHubLimits())
    }

    public init(rules: IoTHubRules, limits: IoTHubLimits) {
        self.rules = rules
        self.limits = limits
        twinReads = RequestThrottle(ratePerSecond: limits.twinReadsPerSecond, windowSeconds: limits.throttleWindowSeconds)
        twinUpdates = RequestThrottle(ratePerSecond: limits.twinUpdatesPerSecond, windowSeconds: limits.throttleWindowSeconds)
        methods = DirectMethodTable(pendingLimit: limits.pendingMethods, completedLimit: limits.completedMethods)
    }

    /// Telemetry on `devices/{deviceID}/messages/events` (with or without `/`, optionally a URL-encoded
    /// property bag), twin GET and reported PATCH with a `$rid`, and direct method responses.
    public func allowsPublish(topic: String, deviceID: String) -> Bool {
        IoTHubTopics.isDeviceTopic(topic, deviceID: deviceID)
    }

    /// Exactly `devices/{deviceID}/messages/devicebound/#`, `$iothub/twin/res/#`,
    /// `$iothub/twin/PATCH/properties/desired/#` or `$iothub/methods/POST/#`.
    public func allowsSubscribe(filter: String, deviceID: String) -> Bool {
        IoTHubTopics.isAllowedSubscription(filter, deviceID: deviceID)
    }

    /// A device's PUBLISH to a service topic (`$iothub/twin/…`, `$iothub/methods/res/…`): the messages the
    /// hub sends back to that device (none for a method response, which completes the operator's call).
    /// nil: not a service topic, route it as telemetry. Call only for topics `allowsPublish` accepted.
    public mutating func serve(_ publish: PublishPacket, from deviceID: String, now: NIODeadline) -> [PublishPacket]? {
        // Service topics start with `$iothub/`; skipping the rest spares telemetry a second parse.
        guard publish.topic.utf8.first == UInt8(ascii: "$"),
            let message = IoTHubTopics.classify(publish.topic, deviceID: deviceID)
        else { return nil }
        switch message {
        case .telemetry:
            return nil
        case .twinGet(let requestID):
            guard twinReads.admit(now: now) else { return [Self.reply(status: 429, requestID: requestID)] }
            let document = twins[deviceID, default: DeviceTwin()].document
            return [Self.reply(status: 200, requestID: requestID, payload: document)]
        case .reportedPatch(let requestID):
            return [patchReported(publish.payload, requestID: requestID, deviceID: deviceID, now: now)]
        case .methodResponse(let status, let requestID):
            methods.complete(requestID: requestID, from: deviceID, status: status, payload: publish.payload, now: now)
            return []
        }
    }

    /// The twin as the device would GET it (a fresh twin for a device that never changed it).
    public func twin(of deviceID: String) -> DeviceTwin {
        twins[deviceID, default: DeviceTwin()]
    }

    /// Devices whose twin is stored.
    public var twinCount: Int { twins.count }

    mutating func updateTwin<Result>(
        of deviceID: String, _ body: (inout DeviceTwin) throws(TwinPatchError) -> Result
    ) throws(TwinUpdateError) -> Result {
        if twins[deviceID] == nil, twins.count >= limits.twins { throw .tooManyTwins }
        var twin = twins[deviceID, default: DeviceTwin()]
        do {
            let result = try body(&twin)
            twins[deviceID] = twin
            return result
        } catch {
            throw .invalidPatch(error)
        }
    }

    private mutating func patchReported(_ body: ByteBuffer, requestID: Substring, deviceID: String, now: NIODeadline) -> PublishPacket {
        guard twinUpdates.admit(now: now) else { return Self.reply(status: 429, requestID: requestID) }
        do {
            let limits = limits
            let version = try updateTwin(of: deviceID) { (twin: inout DeviceTwin) throws(TwinPatchError) in
                try twin.patchReported(body, limits: limits)
            }
            return Self.reply(status: 204, requestID: requestID, version: version)
        } catch {
            switch error {
            case .tooManyTwins: return Self.reply(status: 503, requestID: requestID)
            case .invalidPatch: return Self.reply(status: 400, requestID: requestID)
            }
        }
    }

    /// Replies go out at QoS 1, IoT Hub's highest; the engine lowers it to the subscription's grant.
    private static func reply(status: Int, requestID: Substring, version: Int? = nil, payload: ByteBuffer = ByteBuffer()) -> PublishPacket {
        PublishPacket(
            topic: IoTHubTopics.twinResponse(status: status, requestID: requestID, version: version),
            payload: payload, qos: .atLeastOnce)
    }
}

/// Why a twin could not be changed.
enum TwinUpdateError: Error {
    case invalidPatch(TwinPatchError)
    /// `IoTHubLimits.twins` devices already have a stored twin.
    case tooManyTwins
}
