/// What a device library does with an inbound packet larger than its buffer (`maxPacketSize`), whatever the
/// MQTT version: 3.1.1 has no rule for it, so each library has its own (`Personality.oversizedPacketAction`).
public enum OversizedPacketAction: String, Sendable, Hashable {
    /// Read past it and carry on, the connection kept and the packet unanswered.
    case discard
    /// The connection ends.
    case closeConnection
    /// A PUBLISH is taken a buffer's worth at a time: the first buffer's worth is the message, acknowledged as
    /// usual, the rest read past; any other oversized packet ends the connection.
    case truncatePublish
}
