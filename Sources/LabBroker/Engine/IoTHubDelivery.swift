import MQTTCore
import NIOCore

extension BrokerEngine {
    /// Delivers a message the hub addresses to one device (a twin reply, a desired-properties
    /// notification, a method request, a cloud-to-device message) through that device's own
    /// subscriptions only: twin and method topics carry no device ID, so routing them would reach every
    /// device subscribed to `$iothub/…`. Returns false when the device has no session or no matching
    /// subscription (IoT Hub drops such a message too).
    @discardableResult
    public func deliverToDevice(_ message: IoTHubMessage, now: NIODeadline, into actions: inout [BrokerAction]) -> Bool {
        guard let session = sessions[message.deviceID] else { return false }
        let delivered = deliverThroughOwnSubscriptions(message.packet, to: session, now: now, into: &actions)
        endDoomedSessions(now: now, into: &actions)
        return delivered
    }

    /// Runs `body` on the IoT Hub endpoint (operator requests: direct methods, desired patches,
    /// cloud-to-device messages); nil when the profile is not IoT Hub.
    public func withIoTHub<Result, Failure: Error>(
        _ body: (inout IoTHubDeviceEndpoint) throws(Failure) -> Result
    ) throws(Failure) -> Result? {
        guard iotHub != nil else { return nil }
        return try body(&iotHub!)
    }

    func deliverThroughOwnSubscriptions(_ packet: PublishPacket, to session: BrokerSession, now: NIODeadline,
                                        into actions: inout [BrokerAction]) -> Bool {
        var granted: QoS?
        var identifiers: [UInt32] = []
        for (filter, options) in session.subscriptions where SharedFilter(filter) == nil {
            guard TopicRules.matches(filter: filter, topic: packet.topic) else { continue }
            granted = max(granted ?? .atMostOnce, options.qos)
            if let identifier = options.identifier { identifiers.append(identifier) }
        }
        guard let granted else { return false }
        let message = RoutedMessage(topic: packet.topic, payload: packet.payload, qos: packet.qos, retain: false,
                                    properties: packet.properties, now: now)
        deliver(message, qos: min(packet.qos, granted), retain: false, subscriptionIdentifiers: identifiers,
                to: session, now: now, into: &actions)
        return true
    }
}
