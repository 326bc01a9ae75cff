/// What a connection does with an inbound packet larger than its limit (`inboundPacketSizeLimit`).
/// MQTT 5 makes it a protocol error (the client disconnects with 0x95); MQTT 3.1.1 says nothing, so each
/// firmware library does its own thing, and a simulated device must do what its library does.
public enum OversizedPacketHandling: Sendable, Hashable {
    /// Fail with a `packetTooLarge` protocol violation as soon as the fixed header announces the size.
    case closeConnection
    /// Read past the whole packet without keeping it, then go on with the next one (PubSubClient).
    case discard
    /// Keep a PUBLISH's first `limit` bytes, deliver them as the message (acknowledged as usual) and skip the
    /// rest; any other oversized packet, or a PUBLISH whose topic does not fit, closes the connection (esp-mqtt).
    case truncatePublish
}
