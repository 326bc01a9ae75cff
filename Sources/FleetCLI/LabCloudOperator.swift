import Fleet
import LabBroker
import NIOCore

/// The fleet's `iothub` steps, sent by the lab broker's IoT Hub endpoint (the hub's service side).
struct LabCloudOperator: CloudServiceOperator {
    let server: LabBrokerServer

    /// The operator of `launch`'s broker, when its profile is IoT Hub.
    init?(_ launch: LabBrokerLaunch?) {
        guard let launch, launch.profile.iotHub != nil else { return nil }
        server = launch.server
    }

    func send(_ requests: [CloudRequest]) async -> [Result<CloudDelivery, CloudRequestRefused>] {
        await server.iotHub(requests.map(Self.hubRequest)).map { result in
            result.map { CloudDelivery(topic: $0.topic, delivered: $0.delivered, requestID: $0.requestID) }
                .mapError { CloudRequestRefused($0.description) }
        }
    }

    private static func hubRequest(_ request: CloudRequest) -> IoTHubRequest {
        switch request.message {
        case .cloudToDevice(let payload, let properties):
            .cloudToDevice(deviceID: request.deviceID, payload: ByteBuffer(string: payload),
                           properties: IoTHubPropertyBag(properties.map { .init(name: $0.name, value: $0.value) }))
        case .desiredPatch(let json):
            .desiredPatch(deviceID: request.deviceID, patch: ByteBuffer(string: json))
        case .directMethod(let name, let payload, let timeout):
            .directMethod(deviceID: request.deviceID, name: name, payload: ByteBuffer(string: payload),
                          timeout: timeout.map(timeAmount))
        }
    }

    func takeMethodCompletions() async -> [CloudMethodCompletion] {
        await server.methodCompletions().map { completion in
            let outcome: CloudMethodCompletion.Outcome = switch completion.outcome {
            case .responded(let status, _): .answered(status: status)
            case .malformedResponse(let status): .malformed(status: status)
            case .timedOut: .timedOut
            }
            return CloudMethodCompletion(requestID: completion.requestID, deviceID: completion.deviceID,
                                         method: completion.methodName, outcome: outcome,
                                         roundTrip: .nanoseconds(completion.roundTrip.nanoseconds))
        }
    }

    private static func timeAmount(_ duration: Duration) -> TimeAmount {
        let parts = duration.components
        return .nanoseconds(parts.seconds &* 1_000_000_000 &+ parts.attoseconds / 1_000_000_000)
    }
}
