/// The device library a group imitates. Each sets defaults the way that library does
/// (see `PersonalityDefaults` and the table in Scenarios/README.md); a group may override any of them.
public enum Personality: String, Sendable, Hashable, CaseIterable {
    /// Arduino PubSubClient: MQTT 3.1.1 only, QoS 0 publishes, 256-byte buffer.
    case pubsubclient
    /// ESP-IDF esp-mqtt: 3.1.1 or 5, keep-alive 120 s, reconnect after 10 s.
    case espMqtt = "esp-mqtt"
    /// .NET nanoFramework M2Mqtt as in the Event Grid sample: MQTT 5, JSON content type, 1 s retry loop.
    case nanoframework
    /// No library's quirks: MQTT 5, exponential backoff with jitter. For load tests.
    case custom
}
