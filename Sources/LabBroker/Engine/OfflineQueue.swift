import DequeModule
import MQTTCore

/// One message waiting for its session: offline, or online with the client's Receive Maximum reached.
struct QueuedDelivery {
    var message: RoutedMessage
    /// Already lowered to the subscription's granted QoS.
    var qos: QoS
    var retain: Bool
    var subscriptionIdentifiers: [UInt32]
}

/// A session's waiting messages, in arrival order, bounded by the profile's message and byte limits.
struct OfflineQueue {
    let limit: QueueLimit
    private(set) var items = Deque<QueuedDelivery>()
    private(set) var bytes = 0

    init(limit: QueueLimit) {
        self.limit = limit
    }

    var isEmpty: Bool { items.isEmpty }
    var count: Int { items.count }

    /// Appends `delivery` unless it would break a bound; false: it did not fit (the caller applies the
    /// profile's overflow rule).
    mutating func append(_ delivery: QueuedDelivery) -> Bool {
        let size = delivery.message.byteCount
        guard items.count < limit.messages, bytes + size <= limit.bytes else { return false }
        items.append(delivery)
        bytes += size
        return true
    }

    mutating func popFirst() -> QueuedDelivery? {
        guard let first = items.popFirst() else { return nil }
        bytes -= first.message.byteCount
        return first
    }

    mutating func removeAll() {
        items.removeAll()
        bytes = 0
    }
}
