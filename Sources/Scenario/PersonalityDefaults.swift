/// What each device library does when the firmware author does not say otherwise.
///
/// The one place these numbers live; Scenarios/README.md tables them with their sources.
public struct PersonalityDefaults: Sendable, Hashable {
    public var protocolVersion: ProtocolVersion
    /// Versions the library can speak at all; asking for another is an error.
    public var supportedProtocolVersions: Set<ProtocolVersion>
    public var keepAlive: Duration
    public var cleanStart: Bool
    public var retry: RetryPolicy
    /// The library's packet buffer in bytes.
    public var maxPacketSize: Int
    /// Highest QoS the library can publish with (PubSubClient: 0).
    public var maxPublishQoS: Int
    /// QoS of telemetry when the group does not say.
    public var telemetryQoS: Int
    /// MQTT 5 content type put on telemetry when the group does not say.
    public var contentType: String?
}

extension Personality {
    public var defaults: PersonalityDefaults {
        switch self {
        case .pubsubclient:
            // PubSubClient.h: MQTT_VERSION 3.1.1, MQTT_KEEPALIVE 15, MQTT_MAX_PACKET_SIZE 256; publish() is QoS 0 only;
            // connect() defaults to cleanSession=true; the Arduino sample retries with delay(5000).
            PersonalityDefaults(
                protocolVersion: .v3_1_1, supportedProtocolVersions: [.v3_1_1], keepAlive: .seconds(15),
                cleanStart: true, retry: RetryPolicy(backoff: .fixed(.seconds(5))), maxPacketSize: 256,
                maxPublishQoS: 0, telemetryQoS: 0, contentType: nil)
        case .espMqtt:
            // esp-mqtt mqtt_config.h: MQTT_KEEPALIVE_TICK 120, MQTT_RECONNECT_TIMEOUT_MS 10000, MQTT_BUFFER_SIZE_BYTE 1024,
            // protocol 3.1.1 unless the config asks for 5; clean session unless disable_clean_session.
            PersonalityDefaults(
                protocolVersion: .v3_1_1, supportedProtocolVersions: [.v3_1_1, .v5], keepAlive: .seconds(120),
                cleanStart: true, retry: RetryPolicy(backoff: .fixed(.seconds(10))), maxPacketSize: 1024,
                maxPublishQoS: 2, telemetryQoS: 1, contentType: nil)
        case .nanoframework:
            // nanoFramework M2Mqtt as in the seed's Event Grid sample: ProtocolVersion = Version_5, publishes with
            // content type "application/json; charset=utf-8", connect loop sleeps 1000 ms; M2Mqtt KeepAlivePeriodDefault 60.
            PersonalityDefaults(
                protocolVersion: .v5, supportedProtocolVersions: [.v3_1_1, .v5], keepAlive: .seconds(60),
                cleanStart: true, retry: RetryPolicy(backoff: .fixed(.seconds(1))), maxPacketSize: 268_435_455,
                maxPublishQoS: 2, telemetryQoS: 1, contentType: "application/json; charset=utf-8")
        case .custom:
            // No library: MQTT 5 and the backoff a well-behaved client should use.
            PersonalityDefaults(
                protocolVersion: .v5, supportedProtocolVersions: [.v3_1_1, .v5], keepAlive: .seconds(60),
                cleanStart: true,
                retry: RetryPolicy(backoff: .exponential(initial: .seconds(1), multiplier: 2, max: .seconds(30),
                                                         jitter: 0.2)),
                maxPacketSize: 268_435_455, maxPublishQoS: 2, telemetryQoS: 1, contentType: nil)
        }
    }
}
