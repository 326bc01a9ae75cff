import MQTTClient
import MQTTCore
import NIOCore
import Scenario

/// What every device of one group shares, worked out once per group rather than per device or per
/// message: firmware settings, the compiled payload template, QoS and MQTT 5 publish properties.
final class DeviceProfile: Sendable {
    let group: DeviceGroupPlan
    let firmware: DeviceFirmware.Settings
    let payload: PayloadTemplate?
    let telemetryQoS: QoS
    /// Properties every telemetry message of the group carries as they are.
    let telemetryProperties: MQTTProperties
    /// User properties rendered at each publish after `telemetryProperties`, when any of them changes per
    /// device or per message (`{clientId}`, `{timestamp}`).
    let telemetryUserProperties: [(name: String, value: PayloadTemplate)]
    /// Whether a telemetry publish needs the wall clock (payload or user property names `{timestamp}`).
    let telemetryUsesTimestamp: Bool
    /// The reply payload of each response rule (`group.respond`), compiled once.
    let responsePayloads: [PayloadTemplate]
    /// The reported-properties patch of the group's twin (`twin.report`), compiled once.
    let twinReport: PayloadTemplate?
    let version: MQTTProtocolVersion
    /// The group's sessions outlive their connections (Clean Session 0 on 3.1.1, a Session Expiry above 0 on
    /// MQTT 5), so a device keeps session state between connections and logs what it receives for the
    /// session verdicts.
    let sessionOutlivesConnection: Bool

    init(group: DeviceGroupPlan) {
        self.group = group
        version = group.protocolVersion == .v5 ? .v5_0 : .v3_1_1
        sessionOutlivesConnection = version == .v5_0
            ? (group.sessionExpiry ?? .zero) > .zero : !group.cleanStart
        firmware = DeviceFirmware.Settings(
            bootDelay: group.bootDelay,
            telemetryInterval: group.telemetry?.every,
            subscribes: !group.subscribe.isEmpty,
            publishesBirth: group.birth != nil,
            reconnect: group.retry
        )
        payload = group.telemetry.map { PayloadTemplate($0.payload) }
        telemetryQoS = QoS(clamping: group.telemetry?.qos ?? 0)
        var properties = MQTTProperties()
        if version == .v5_0, let telemetry = group.telemetry {
            if let contentType = telemetry.contentType {
                properties.append(.payloadFormatIndicator(1))
                properties.append(.contentType(contentType))
            }
            if let expiry = telemetry.messageExpiry { properties.append(.messageExpiryInterval(UInt32(clamping: expiry.components.seconds))) }
        }
        // User properties keep the file's order on the wire: rendered once when all are constant, else all per message.
        let userProperties = version == .v5_0 ? group.telemetry?.userProperties ?? [] : []
        var perMessage: [(name: String, value: PayloadTemplate)] = []
        if userProperties.allSatisfy(\.value.isConstant) {
            for property in userProperties { properties.append(.userProperty(property.name, property.value.text ?? "")) }
        } else {
            perMessage = userProperties.map { ($0.name, PayloadTemplate($0.value)) }
        }
        responsePayloads = group.respond.map { PayloadTemplate($0.payload) }
        twinReport = group.twin?.report.map { PayloadTemplate($0.payload) }
        telemetryProperties = properties
        telemetryUserProperties = perMessage
        telemetryUsesTimestamp = (payload?.usesTimestamp ?? false) || perMessage.contains { $0.value.usesTimestamp }
    }

    /// The CONNECT a device of this group sends: client ID, keep-alive, session, credentials, will.
    func connectionConfiguration(for device: DevicePlan) -> MQTTConnectionConfiguration {
        var username: String?
        var password: ByteBuffer?
        switch device.credentials {
        case .usernamePassword(let user, let secret):
            username = user
            password = ByteBuffer(string: secret)
        case .certificate(_, let user):
            username = user
        case .sas(let sas):
            // The token is the device's to sign at each connect (`VirtualDevice`): it names the time.
            username = sas.username
        case .none:
            break
        }
        var configuration = MQTTConnectionConfiguration(
            version: version,
            clientIdentifier: device.clientID,
            cleanStart: device.cleanStart,
            sessionExpiryInterval: version == .v5_0 ? device.sessionExpiry.map { UInt32(clamping: $0.components.seconds) } : nil,
            keepAliveSeconds: UInt16(clamping: device.keepAlive.components.seconds),
            username: username,
            password: password,
            will: device.will.map(willPacket),
            // The library's buffer holds on 3.1.1 too; only MQTT 5 CONNECT announces it.
            maximumPacketSize: UInt32(clamping: device.maxPacketSize),
            oversizedInbound: OversizedPacketHandling(device.personality.oversizedPacketAction)
        )
        // Every wait is bounded by the library's own timeouts (or the group's `timeouts:`).
        configuration.connAckTimeout = TimeAmount(group.timeouts.connAck)
        configuration.pingTimeout = TimeAmount(group.timeouts.pingResp)
        configuration.subAckTimeout = TimeAmount(group.timeouts.subAck)
        configuration.publishAckTimeout = TimeAmount(group.timeouts.publishAck)
        configuration.useTopicAliases = group.topicAliases
        return configuration
    }

    private func willPacket(_ will: DeviceWill) -> Will {
        var properties = MQTTProperties()
        if version == .v5_0 {
            if let delay = will.delay { properties.append(.willDelayInterval(UInt32(clamping: delay.components.seconds))) }
            if let expiry = will.messageExpiry { properties.append(.messageExpiryInterval(UInt32(clamping: expiry.components.seconds))) }
            if let contentType = will.contentType { properties.append(.contentType(contentType)) }
        }
        return Will(topic: will.topic, payload: ByteBuffer(string: will.payload), qos: QoS(clamping: will.qos),
                    retain: will.retain, properties: properties)
    }
}

extension OversizedPacketHandling {
    init(_ action: OversizedPacketAction) {
        switch action {
        case .discard: self = .discard
        case .closeConnection: self = .closeConnection
        case .truncatePublish: self = .truncatePublish
        }
    }
}

extension QoS {
    /// The scenario's integer QoS (already validated 0…2).
    init(clamping value: Int) {
        self = QoS(rawValue: UInt8(clamping: min(max(value, 0), 2))) ?? .atMostOnce
    }
}
