/// Bounds what one connection may have waiting to be sent to a client that does not read.
///
/// The estimate is the bytes encoded but not handed to the channel yet, plus — once the channel reports
/// itself unwritable (its high water mark is exceeded) — the high water mark and everything handed to it
/// since. It is an upper bound of the real queue, kept without a promise per write.
///
/// The policy, chosen to keep the broker alive under a slow subscriber rather than to be fair to it:
/// - under `qos0Limit` everything is sent;
/// - above it QoS 0 deliveries are dropped (and counted), as the specification allows for QoS 0;
///   acknowledgements and QoS 1/2 deliveries still go out, since dropping them would break the session;
/// - above `closeLimit` the connection is closed like a network failure (its will is published): a
///   client that reads nothing cannot be helped, and its queue must not grow without bound.
struct OutboundBacklog {
    static let qos0Limit = 1 << 20
    static let closeLimit = 16 << 20
    /// The channel's high water mark (set on every accepted channel so the estimate knows it).
    static let highWaterMark = 64 << 10
    static let lowWaterMark = 32 << 10

    enum Decision: Equatable {
        case send
        case dropQoS0
        case closeConnection
    }

    /// Bytes handed to the channel since it became unwritable, plus its high water mark; 0 while writable.
    private(set) var unwritableBytes = 0

    /// What to do with a packet of `size` bytes when `unflushed` bytes wait in the connection's own buffer.
    func decide(size: Int, isQoS0Publish: Bool, unflushed: Int) -> Decision {
        let backlog = unwritableBytes + unflushed + size
        if backlog <= Self.qos0Limit { return .send }
        if isQoS0Publish { return .dropQoS0 }
        return backlog <= Self.closeLimit ? .send : .closeConnection
    }

    /// The channel's writability as it stands after a write or a writability change.
    mutating func writability(_ isWritable: Bool) {
        if isWritable {
            unwritableBytes = 0
        } else if unwritableBytes == 0 {
            unwritableBytes = Self.highWaterMark
        }
    }

    /// `bytes` were handed to the channel (after `writability` was updated for it).
    mutating func handedToChannel(_ bytes: Int) {
        if unwritableBytes > 0 { unwritableBytes += bytes }
    }
}
