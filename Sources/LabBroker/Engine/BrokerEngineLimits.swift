import NIOCore

/// Bounds on what clients can make the engine keep, whatever the profile allows: hostile or runaway
/// clients hit these before they exhaust memory.
public struct BrokerEngineLimits: Sendable, Hashable {
    /// Sessions held at once (connected or waiting); a CONNECT that would create one more is refused
    /// with Server busy (0x89 / return code 3).
    public var maximumSessions: Int
    /// Retained topics held; a retained PUBLISH on a new topic beyond it is delivered but not stored.
    public var maximumRetainedMessages: Int
    /// How long a new connection may take to send its CONNECT before it is closed.
    public var connectTimeout: TimeAmount

    public init(maximumSessions: Int = 250_000, maximumRetainedMessages: Int = 1_000_000,
                connectTimeout: TimeAmount = .seconds(30)) {
        self.maximumSessions = maximumSessions
        self.maximumRetainedMessages = maximumRetainedMessages
        self.connectTimeout = connectTimeout
    }
}
