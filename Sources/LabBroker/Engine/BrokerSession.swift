import MQTTCore
import NIOCore

/// A PUBLISH of QoS 1 or 2 the broker sent and the client has not finished acknowledging.
struct OutboundInflight {
    /// As first sent (MQTT 5 form; properties are dropped when written to a 3.1.1 connection).
    var packet: PublishPacket
    /// QoS 2 after PUBREC: the broker owes the client a PUBREL, not the PUBLISH (§4.3.3).
    var released: Bool
    /// Send order, so a resumed session resends in the original order (§4.6).
    var sequence: UInt64
}

/// The state the broker keeps for one client ID across connections (MQTT 5 §4.1): subscriptions,
/// unacknowledged and queued messages, inbound QoS 2 identifiers, a delayed will.
final class BrokerSession {
    let clientID: String
    /// The live connection; nil while the session waits for its client.
    var connection: BrokerConnection?
    /// Full filter (shared ones with their `$share/…` prefix) → granted options.
    var subscriptions: [String: SubscriptionOptions] = [:]
    /// Seconds the session outlives its connection; `UInt32.max`: never expires.
    var expiryInterval: UInt32 = 0

    var inflight: [UInt16: OutboundInflight] = [:]
    var nextPacketIdentifier: UInt16 = 1
    var sendSequence: UInt64 = 0
    var queue: OfflineQueue
    /// QoS 2 packet identifiers received and PUBREC'd, awaiting PUBREL (method A of §4.3.3: the message
    /// was delivered on arrival, so a repeated PUBLISH with one of these is not delivered again).
    var inboundAwaitingRelease: Set<UInt16> = []

    /// A will waiting for its Will Delay Interval (§3.1.3.2.2).
    var pendingWill: Will?
    var willGeneration: UInt64 = 0
    var expiryGeneration: UInt64 = 0
    /// Set once the session is doomed (queue overflow with `.endSession`) so it is ended only once.
    var isEnding = false

    /// Routing scratch: the route that last matched this session and its slot in the match list, so
    /// overlapping subscriptions merge into one delivery without a per-message dictionary.
    var routeStamp: UInt64 = 0
    var routeSlot = 0

    init(clientID: String, queueLimit: QueueLimit) {
        self.clientID = clientID
        self.queue = OfflineQueue(limit: queueLimit)
    }

    /// A free outbound packet identifier, or nil when all 65535 are in flight.
    func allocatePacketIdentifier() -> UInt16? {
        for _ in 0..<Int(UInt16.max) {
            let candidate = nextPacketIdentifier
            nextPacketIdentifier = candidate == UInt16.max ? 1 : candidate + 1
            if inflight[candidate] == nil { return candidate }
        }
        return nil
    }
}
