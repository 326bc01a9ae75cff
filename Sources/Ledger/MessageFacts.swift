/// What identifies one message in the ledger without its payload: the controller's `publish` and the
/// device's reception both log these, so the verdicts can match what was sent to what arrived.
public struct MessageFacts: Codable, Sendable, Hashable {
    public var qos: UInt8
    /// The RETAIN flag as sent, or as delivered (set ⇒ it came from the broker's retained store).
    public var retain: Bool
    /// ``digest(_:)`` of the payload.
    public var digest: UInt64

    public init(qos: UInt8, retain: Bool, digest: UInt64) {
        self.qos = qos
        self.retain = retain
        self.digest = digest
    }

    /// 64-bit FNV-1a of the payload: equal payloads, equal digests, and any other pair almost never.
    public static func digest(_ bytes: some Sequence<UInt8>) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        return hash
    }
}
