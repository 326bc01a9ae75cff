import MQTTCore
import NIOCore

/// A message the hub sends to one device. Twin and method topics carry no device ID, so the engine must
/// deliver `packet` only through the subscriptions of the session whose client ID is `deviceID`.
public struct IoTHubMessage: Sendable, Hashable {
    public var deviceID: String
    public var packet: PublishPacket
}

/// Why the operator's request was not turned into a message.
public enum IoTHubOperatorError: Error, Sendable, Hashable {
    case invalidDeviceID(String)
    case invalidMethodName(String)
    case payloadTooLarge(bytes: Int, limit: Int)
    /// A direct method body must be JSON or empty.
    case methodPayloadNotJSON
    case invalidPatch(TwinPatchError)
    case tooManyTwins
    /// `IoTHubLimits.pendingMethods` calls already await their response.
    case tooManyPendingMethods
}

/// The service side: what `fleet broker` and timeline steps ask the hub to send to devices, and the
/// completions of direct method calls.
extension IoTHubDeviceEndpoint {
    /// A cloud-to-device message on `devices/{id}/messages/devicebound/{property bag}`.
    public func cloudToDevice(deviceID: String, payload: ByteBuffer, properties: IoTHubPropertyBag = [:])
        throws(IoTHubOperatorError) -> IoTHubMessage
    {
        guard IoTHubTopics.isValidDeviceID(deviceID) else { throw .invalidDeviceID(deviceID) }
        guard payload.readableBytes <= limits.cloudToDeviceBytes else {
            throw .payloadTooLarge(bytes: payload.readableBytes, limit: limits.cloudToDeviceBytes)
        }
        let topic = IoTHubTopics.cloudToDevice(deviceID: deviceID, properties: properties)
        return IoTHubMessage(deviceID: deviceID, packet: PublishPacket(topic: topic, payload: payload, qos: .atLeastOnce))
    }

    /// Merges `patch` (a JSON object; null deletes) into the device's desired properties, bumps their
    /// `$version` and returns the notification: the patch plus `"$version"` on
    /// `$iothub/twin/PATCH/properties/desired/?$version={v}`. IoT Hub sends it only to a connected device.
    public mutating func desiredPropertiesPatch(deviceID: String, patch: ByteBuffer) throws(IoTHubOperatorError) -> IoTHubMessage {
        guard IoTHubTopics.isValidDeviceID(deviceID) else { throw .invalidDeviceID(deviceID) }
        let limits = limits
        let change: (version: Int, patch: [String: TwinValue])
        do {
            change = try updateTwin(of: deviceID) { (twin: inout DeviceTwin) throws(TwinPatchError) in
                try twin.patchDesired(patch, limits: limits)
            }
        } catch {
            switch error {
            case .tooManyTwins: throw .tooManyTwins
            case .invalidPatch(let reason): throw .invalidPatch(reason)
            }
        }
        var body = change.patch
        body["$version"] = .integer(Int64(change.version))
        let packet = PublishPacket(
            topic: IoTHubTopics.desiredPatch(version: change.version), payload: TwinValue.serialize(body),
            qos: .atLeastOnce)
        return IoTHubMessage(deviceID: deviceID, packet: packet)
    }

    /// Calls method `name` on the device: a new `$rid`, the request on
    /// `$iothub/methods/POST/{name}/?$rid={rid}`, and a pending call that ends with the device's response or
    /// at `now + timeout` (clamped to `limits.methodTimeoutRange`; nil: `limits.defaultMethodTimeout`).
    public mutating func directMethod(
        deviceID: String, name: String, payload: ByteBuffer = ByteBuffer(), timeout: TimeAmount? = nil,
        now: NIODeadline
    ) throws(IoTHubOperatorError) -> (requestID: String, message: IoTHubMessage) {
        guard IoTHubTopics.isValidDeviceID(deviceID) else { throw .invalidDeviceID(deviceID) }
        guard IoTHubTopics.isValidMethodName(name) else { throw .invalidMethodName(name) }
        guard payload.readableBytes <= limits.methodPayloadBytes else {
            throw .payloadTooLarge(bytes: payload.readableBytes, limit: limits.methodPayloadBytes)
        }
        guard payload.readableBytes == 0 || TwinValue.isJSON(payload) else { throw .methodPayloadNotJSON }
        let range = limits.methodTimeoutRange
        let granted = min(max(timeout ?? limits.defaultMethodTimeout, range.lowerBound), range.upperBound)
        guard let requestID = methods.register(deviceID: deviceID, methodName: name, now: now, timeout: granted) else {
            throw .tooManyPendingMethods
        }
        let packet = PublishPacket(
            topic: IoTHubTopics.methodRequest(name: name, requestID: requestID), payload: payload, qos: .atLeastOnce)
        return (requestID, IoTHubMessage(deviceID: deviceID, packet: packet))
    }

    /// Completions not yet taken, oldest first (responses, and timeouts noticed so far).
    public var methodResponses: [DirectMethodCompletion] { Array(methods.completed) }

    /// Times out the calls due at `now`, then hands over and forgets every completion.
    public mutating func takeCompletedMethods(now: NIODeadline) -> [DirectMethodCompletion] {
        methods.expire(now: now)
        return methods.takeCompleted()
    }

    /// Times out the calls whose deadline is at or before `now`.
    public mutating func expireMethods(now: NIODeadline) {
        methods.expire(now: now)
    }

    /// The earliest deadline of a pending call, for the engine's timer; nil when none is pending.
    public var nextMethodDeadline: NIODeadline? {
        mutating get { methods.nextDeadline }
    }

    public var pendingMethodCount: Int { methods.pendingCount }
    /// Responses whose `$rid` matched no pending call of the responding device.
    public var unmatchedMethodResponses: Int { methods.unmatchedResponses }
    /// Completions dropped because more than `limits.completedMethods` were waiting.
    public var droppedMethodCompletions: Int { methods.droppedCompletions }
}
