/// The smallest PUBLISH a topic and payload template can make on the wire. A lower bound: when even it
/// is over a device's packet buffer, the device's library refuses the message at every send (PubSubClient's
/// `publish()` returns false, esp-mqtt's enqueue fails), so the scenario can be refused at load time instead
/// of a run that publishes nothing.
enum PublishSizeBound {
    static func minimum(topic: Template, payload: Template, qos: Int, v5: Bool) -> Int {
        var remaining = 2 + topic.minimumLength + payload.minimumLength
        if qos > 0 { remaining += 2 }
        if v5 { remaining += 1 }
        var lengthBytes = 1
        while lengthBytes < 4, remaining >= 1 << (7 * lengthBytes) { lengthBytes += 1 }
        return 1 + lengthBytes + remaining
    }
}

extension Template {
    /// The fewest UTF-8 bytes `render` can give: literal text and fill exactly, every other placeholder
    /// at least one byte.
    var minimumLength: Int {
        parts.reduce(0) { total, part in
            switch part {
            case .text(let text): total + text.utf8.count
            case .fill(let size): total + size
            case .index(let width): total + max(width, 1)
            case .clientID, .group, .sequence, .timestamp, .uptimeMs, .random, .requestID, .methodName: total + 1
            }
        }
    }
}
