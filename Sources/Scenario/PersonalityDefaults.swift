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
    /// How long the library waits for each acknowledgement, at the default keep-alive
    /// (`timeouts(keepAlive:)` gives them for another).
    public var timeouts: DeviceTimeouts
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
                maxPublishQoS: 0, telemetryQoS: 0, contentType: nil,
                // connect() busy-waits MQTT_SOCKET_TIMEOUT (15 s) for CONNACK, then MQTT_CONNECTION_TIMEOUT; loop()
                // drops the connection when a PINGREQ is still unanswered a keep-alive period later. subscribe() and
                // publish() never wait for SUBACK/PUBACK (QoS 0 only), so the socket timeout bounds those.
                timeouts: DeviceTimeouts(connAck: .seconds(15), subAck: .seconds(15), publishAck: .seconds(15),
                                         pingResp: .seconds(15)))
        case .espMqtt:
            // esp-mqtt mqtt_config.h: MQTT_KEEPALIVE_TICK 120, MQTT_RECONNECT_TIMEOUT_MS 10000, MQTT_BUFFER_SIZE_BYTE 1024,
            // protocol 3.1.1 unless the config asks for 5; clean session unless disable_clean_session.
            PersonalityDefaults(
                protocolVersion: .v3_1_1, supportedProtocolVersions: [.v3_1_1, .v5], keepAlive: .seconds(120),
                cleanStart: true, retry: RetryPolicy(backoff: .fixed(.seconds(10))), maxPacketSize: 1024,
                maxPublishQoS: 2, telemetryQoS: 1, contentType: nil,
                // mqtt_client.c: esp_mqtt_connect() waits network_timeout_ms (MQTT_NETWORK_TIMEOUT_MS 10000) for CONNACK;
                // SUBSCRIBE and QoS 1/2 PUBLISH stay in the outbox, resent every message_retransmit_timeout
                // (MQTT_DEFAULT_RETRANSMIT_TIMEOUT_MS 1000) on the same connection until OUTBOX_EXPIRED_TIMEOUT_MS
                // (30 s) deletes them; process_keepalive() pings at keep-alive/2 and logs "No PING_RESP,
                // disconnected" at keep-alive, i.e. keep-alive/2 after the PINGREQ.
                timeouts: DeviceTimeouts(connAck: .seconds(10), subAck: .seconds(30), publishAck: .seconds(30),
                                         pingResp: .seconds(60)))
        case .nanoframework:
            // nanoFramework M2Mqtt as in the seed's Event Grid sample: ProtocolVersion = Version_5, publishes with
            // content type "application/json; charset=utf-8", connect loop sleeps 1000 ms; M2Mqtt KeepAlivePeriodDefault 60.
            PersonalityDefaults(
                protocolVersion: .v5, supportedProtocolVersions: [.v3_1_1, .v5], keepAlive: .seconds(60),
                cleanStart: true, retry: RetryPolicy(backoff: .fixed(.seconds(1))), maxPacketSize: 268_435_455,
                maxPublishQoS: 2, telemetryQoS: 1, contentType: "application/json; charset=utf-8",
                // M2Mqtt MqttClient.cs: Connect() is SendReceive with MqttSettings.DefaultTimeout (30 000 ms); Ping() waits
                // the keep-alive period for PINGRESP, then closes. SUBSCRIBE and QoS 1/2 PUBLISH are resent on the same
                // connection AttemptsOnRetry (3) times DelayOnRetry apart (10 000 000 "ticks, equivalent of 1 second"),
                // then dropped with the connection kept. A missed acknowledgement ends the connection here, so the
                // wait is DefaultTimeout's 30 s: a 3 s bound would cut connections M2Mqtt keeps.
                timeouts: DeviceTimeouts(connAck: .seconds(30), subAck: .seconds(30), publishAck: .seconds(30),
                                         pingResp: .seconds(60)))
        case .custom:
            // No library: MQTT 5 and the backoff a well-behaved client should use.
            PersonalityDefaults(
                protocolVersion: .v5, supportedProtocolVersions: [.v3_1_1, .v5], keepAlive: .seconds(60),
                cleanStart: true,
                retry: RetryPolicy(backoff: .exponential(initial: .seconds(1), multiplier: 2, max: .seconds(30),
                                                         jitter: 0.2)),
                maxPacketSize: 268_435_455, maxPublishQoS: 2, telemetryQoS: 1, contentType: nil,
                // No library: 30 s for every acknowledgement, and PINGRESP within half the keep-alive.
                timeouts: DeviceTimeouts(connAck: .seconds(30), subAck: .seconds(30), publishAck: .seconds(30),
                                         pingResp: .seconds(30)))
        }
    }
}

extension Personality {
    /// What the library does with an inbound packet larger than its buffer (MQTT 3.1.1 and 5 alike).
    /// Scenarios/README.md tables it with the sources.
    public var oversizedPacketAction: OversizedPacketAction {
        switch self {
        case .pubsubclient:
            // PubSubClient.cpp readPacket(): reads every byte the remaining length announces, keeps only the first
            // bufferSize, then returns length 0 ("This will cause the packet to be ignored"): no callback, no
            // PUBACK, the connection stays.
            .discard
        case .espMqtt:
            // mqtt_client.c mqtt_message_receive(): a PUBLISH over buffer_size is read a buffer at a time and
            // deliver_publish() posts one MQTT_EVENT_DATA per chunk (current_data_offset, total_data_len), then
            // PUBACKs; if its fixed header, topic and packet identifier do not fit the buffer, or any other packet is
            // over it, "message is too big, insufficient buffer size" aborts the connection. Modelled as the first
            // chunk delivered as the message (the one event that carries the topic) and the rest read past: what the
            // broker sees is exact, and the device never holds more than its buffer.
            .truncatePublish
        case .nanoframework:
            // M2Mqtt MqttMsgPublish.Parse(): `new byte[remainingLength]` for whatever the broker announces, no limit
            // of its own. A packet the device cannot hold fails that allocation; ReceiveThread's catch closes only on
            // socket errors, so the library reads on from inside the packet and the stream is lost. Closing is the
            // nearest well-defined outcome (the default buffer is MQTT's maximum, so only a group's max-packet-size
            // makes it happen).
            .closeConnection
        case .custom:
            // MQTT 5.0 §3.1.2.11.4: a packet over the client's Maximum Packet Size is a protocol error (0x95).
            .closeConnection
        }
    }
}
