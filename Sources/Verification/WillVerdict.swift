/// How a device's connection ended, as far as its will is concerned.
public enum EndingKind: String, Codable, Sendable, Hashable, CaseIterable {
    /// Socket reset without DISCONNECT: the will is due at once (plus its delay).
    case abrupt
    /// The device went quiet; the broker notices after 1.5 × keep-alive.
    case silent
    /// DISCONNECT 0x00: the broker must discard the will.
    case graceful
    /// DISCONNECT 0x04 (MQTT 5): the broker must publish the will.
    case gracefulWithWill
    /// Another connection took the client ID over: standard MQTT closes the old
    /// connection and publishes its will unless it reconnects within the will delay.
    case takeover
    /// The connection ended without an injected fault (server disconnect, network
    /// error, keep-alive timeout): a will is plausible but not required.
    case unplanned
}

/// The judgement on one ending (or on one will that matches no ending).
public enum WillJudgement: String, Codable, Sendable, Hashable, CaseIterable {
    /// Exactly one will, between the will delay and the deadline.
    case delivered
    /// A will was due and none came by the deadline.
    case missing
    /// The will came after the deadline.
    case late
    /// The will came before the will delay had passed (MQTT 5 forbids it).
    case early
    /// A will where none may be: after DISCONNECT 0x00, for a device without a will,
    /// after the device came back within the will delay, or with no ending at all.
    case unexpected
    /// More than one will for one ending.
    case duplicated
    /// No will, and none was due.
    case absent
    /// The run ended before the deadline and no will had come: cannot be judged.
    case undecided

    /// Whether a will reached the observers for this ending.
    public var willArrived: Bool {
        switch self {
        case .delivered, .late, .early, .unexpected, .duplicated: true
        case .missing, .absent, .undecided: false
        }
    }
}

/// The verdict on one injected ending of one device.
public struct WillVerdict: Codable, Sendable, Hashable {
    public var device: String
    /// Nil for a will that no ending explains.
    public var ending: EndingKind?
    public var judgement: WillJudgement
    /// When the fault was injected (run clock, ns).
    public var injectedAt: UInt64?
    /// The moment the connection is deemed to have ended (reset, last packet, DISCONNECT, takeover).
    public var endedAt: UInt64?
    /// The latest moment the will was acceptable.
    public var deadline: UInt64?
    /// From `endedAt` to the first will's arrival.
    public var latencyNs: UInt64?
    /// Wills attributed to this ending.
    public var wills: Int
    /// Why, in words, for the report.
    public var reason: String
}
