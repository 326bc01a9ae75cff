import MQTTCore
import NIOCore

/// What the IoT Hub operator (the hub's service side) sends to one device during a run.
public enum IoTHubRequest: Sendable, Hashable {
    /// A cloud-to-device message on `devices/{id}/messages/devicebound/{property bag}`.
    case cloudToDevice(deviceID: String, payload: ByteBuffer, properties: IoTHubPropertyBag = [:])
    /// A desired-properties patch (a JSON object; null deletes), merged into the twin and notified on
    /// `$iothub/twin/PATCH/properties/desired/?$version={v}`.
    case desiredPatch(deviceID: String, patch: ByteBuffer)
    /// A direct method call on `$iothub/methods/POST/{name}/?$rid={rid}`; nil timeout: IoT Hub's default.
    case directMethod(deviceID: String, name: String, payload: ByteBuffer = ByteBuffer(), timeout: TimeAmount? = nil)

    public var deviceID: String {
        switch self {
        case .cloudToDevice(let deviceID, _, _), .desiredPatch(let deviceID, _), .directMethod(let deviceID, _, _, _):
            deviceID
        }
    }
}

/// What the hub did with one request.
public struct IoTHubDelivery: Sendable, Hashable {
    public var deviceID: String
    /// The topic the message went out on.
    public var topic: String
    /// The device had a session and a subscription matching `topic`, so the message was queued to it.
    /// False: IoT Hub drops it (a desired patch still changed the twin; a method call still waits for its
    /// timeout, since the lab, like the hub, only learns of the device's absence that way).
    public var delivered: Bool
    /// A direct method call's `$rid`; its end comes from `methodCompletions()`.
    public var requestID: String?

    public init(deviceID: String, topic: String, delivered: Bool, requestID: String? = nil) {
        self.deviceID = deviceID
        self.topic = topic
        self.delivered = delivered
        self.requestID = requestID
    }
}

/// Why an operator request sent nothing.
public enum IoTHubRequestError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The server's profile has no IoT Hub endpoint.
    case notIoTHub(profile: String)
    /// The hub refused the request (device ID, method name, payload size, patch, pending calls).
    case refused(IoTHubOperatorError)
    /// The server is shutting down or gone.
    case shutDown

    public var description: String {
        switch self {
        case .notIoTHub(let profile):
            "profile \(profile) has no IoT Hub service side (use the iothub profile)"
        case .refused(let error):
            "IoT Hub refused the request: \(error)"
        case .shutDown:
            "the lab broker is shutting down"
        }
    }
}

extension LabBrokerServer {
    /// Sends an operator's request to its device, on the server's event loop: the hub makes the message
    /// (a new `$rid` for a method call, a new `$version` for a desired patch), the engine delivers it through
    /// the device's own subscriptions only, and the device's connection is flushed, as for `publish(_:)`.
    public func iotHub(_ request: IoTHubRequest) async throws(IoTHubRequestError) -> IoTHubDelivery {
        guard profile.iotHub != nil else { throw .notIoTHub(profile: profile.name) }
        guard !isShuttingDown else { throw .shutDown }
        let outcome: Result<IoTHubDelivery, IoTHubRequestError>?
        do {
            outcome = try await eventLoop.submit { [core] in
                core.value.runForOperator { engine, now, actions in
                    Self.send(request, engine: engine, now: now, into: &actions)
                }
            }.get()
        } catch {
            throw .shutDown
        }
        guard let outcome else { throw .shutDown }
        return try outcome.get()
    }

    /// Sends several requests in one turn of the server's loop, in order, with one flush (a timeline step's
    /// requests to every selected device); one result per request.
    public func iotHub(_ requests: [IoTHubRequest]) async -> [Result<IoTHubDelivery, IoTHubRequestError>] {
        guard profile.iotHub != nil else { return requests.map { _ in .failure(.notIoTHub(profile: profile.name)) } }
        guard !isShuttingDown else { return requests.map { _ in .failure(.shutDown) } }
        let outcomes = try? await eventLoop.submit { [core] in
            core.value.runForOperator { engine, now, actions in
                requests.map { Self.send($0, engine: engine, now: now, into: &actions) }
            }
        }.get()
        return (outcomes ?? nil) ?? requests.map { _ in .failure(.shutDown) }
    }

    /// Hands over the direct method calls that ended since the last call — the devices' responses and the
    /// calls whose timeout has passed — oldest first. Empty for a profile without IoT Hub, or once shut down.
    public func methodCompletions() async -> [DirectMethodCompletion] {
        guard !isShuttingDown else { return [] }
        let taken = try? await eventLoop.submit { [core] in
            let server = core.value
            return server.engine.withIoTHub { $0.takeCompletedMethods(now: server.eventLoop.now) }
        }.get()
        return (taken ?? nil) ?? []
    }

    private static func send(
        _ request: IoTHubRequest, engine: BrokerEngine, now: NIODeadline, into actions: inout [BrokerAction]
    ) -> Result<IoTHubDelivery, IoTHubRequestError> {
        let made: (message: IoTHubMessage, requestID: String?)?
        do {
            made = try engine.withIoTHub {
                (hub: inout IoTHubDeviceEndpoint) throws(IoTHubOperatorError) -> (message: IoTHubMessage, requestID: String?) in
                switch request {
                case .cloudToDevice(let deviceID, let payload, let properties):
                    return (try hub.cloudToDevice(deviceID: deviceID, payload: payload, properties: properties), nil)
                case .desiredPatch(let deviceID, let patch):
                    return (try hub.desiredPropertiesPatch(deviceID: deviceID, patch: patch), nil)
                case .directMethod(let deviceID, let name, let payload, let timeout):
                    let call = try hub.directMethod(deviceID: deviceID, name: name, payload: payload, timeout: timeout, now: now)
                    return (call.message, call.requestID)
                }
            }
        } catch {
            return .failure(.refused(error))
        }
        guard let made else { return .failure(.notIoTHub(profile: engine.profile.name)) }
        let delivered = engine.deliverToDevice(made.message, now: now, into: &actions)
        return .success(IoTHubDelivery(deviceID: made.message.deviceID, topic: made.message.packet.topic,
                                       delivered: delivered, requestID: made.requestID))
    }
}
