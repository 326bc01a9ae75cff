import MQTTCore

/// Azure IoT Hub's device-facing MQTT surface (seed 002): the only topics a device may use, and the
/// service side of twins and direct methods.
public struct IoTHubDeviceEndpoint: Sendable {
    public let rules: IoTHubRules

    public init(rules: IoTHubRules) {
        self.rules = rules
    }

    public func allowsPublish(topic: String, deviceID: String) -> Bool { true }

    public func allowsSubscribe(filter: String, deviceID: String) -> Bool { true }

    /// A device's PUBLISH to a service topic (`$iothub/twin/…`, `$iothub/methods/res/…`): the messages the
    /// hub sends back to that device. nil: not a service topic, route it as telemetry.
    public mutating func serve(_ publish: PublishPacket, from deviceID: String) -> [PublishPacket]? { nil }
}
