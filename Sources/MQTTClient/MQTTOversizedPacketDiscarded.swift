import MQTTCore

/// Fired by `MQTTFrameDecoder` as a user inbound event once it has passed over the last byte of a packet
/// larger than its limit (`.discard`, `.truncatePublish`), so the device can count what its firmware lost.
public struct MQTTOversizedPacketDiscarded: Sendable, Hashable {
    public var packetType: MQTTPacketType
    /// The whole packet as announced, fixed header included.
    public var size: Int
    /// The decoder's limit it exceeded.
    public var limit: Int
    /// Bytes passed on as a truncated PUBLISH (`.truncatePublish`); 0 when the whole packet was dropped.
    public var deliveredBytes: Int

    public init(packetType: MQTTPacketType, size: Int, limit: Int, deliveredBytes: Int = 0) {
        self.packetType = packetType
        self.size = size
        self.limit = limit
        self.deliveredBytes = deliveredBytes
    }
}
