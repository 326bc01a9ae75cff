import Foundation

/// How a device's firmware reconnects after losing its connection or failing to connect.
public struct RetryPolicy: Sendable, Hashable {
    public var backoff: Backoff
    /// Give up after this many consecutive failed attempts; nil ⇒ retry for ever (as most firmware does).
    public var maxAttempts: Int?

    public init(backoff: Backoff, maxAttempts: Int? = nil) {
        self.backoff = backoff
        self.maxAttempts = maxAttempts
    }

    /// The wait between attempts.
    public enum Backoff: Sendable, Hashable {
        /// Reconnect at once, every time: the naive loop that turns an outage into a reconnect storm.
        case immediate
        /// The same pause every time (PubSubClient sample: 5 s; nanoFramework sample: 1 s).
        case fixed(Duration)
        /// `initial × multiplier^(attempt-1)`, capped at `max`, each wait spread by ± `jitter` (a fraction, 0…1).
        case exponential(initial: Duration, multiplier: Double, max: Duration, jitter: Double)
        /// Never reconnect: the device stays down until the timeline brings it back.
        case never
    }

    /// The wait before attempt `attempt` (1 = first retry), or nil when the device gives up.
    /// `unitRandom` is a sample in 0..<1 from the caller's seeded generator, used only for jitter,
    /// so replays with the same seed wait the same.
    public func delay(beforeAttempt attempt: Int, unitRandom: Double) -> Duration? {
        if let maxAttempts, attempt > maxAttempts { return nil }
        switch backoff {
        case .immediate:
            return .zero
        case .fixed(let pause):
            return pause
        case .never:
            return nil
        case .exponential(let initial, let multiplier, let max, let jitter):
            let exponent = Double(Swift.max(0, attempt - 1))
            let base = Swift.min(initial.seconds * Foundation.pow(multiplier, exponent), max.seconds)
            let spread = base * jitter * (2 * unitRandom - 1)
            return .seconds(Swift.max(0, base + spread))
        }
    }
}
