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

    /// Whether the device stops after `failed` consecutive failed connection attempts: the first attempt
    /// counts, whether it follows boot or a lost connection, so `max-attempts: 6` makes six in all.
    public func givesUp(afterFailedAttempts failed: Int) -> Bool {
        maxAttempts.map { failed >= $0 } ?? false
    }

    /// The wait before retry `retry` (1 = the first wait), or nil when the policy never reconnects.
    /// `unitRandom` is a sample in 0..<1 from the caller's seeded generator, used only for jitter,
    /// so replays with the same seed wait the same.
    public func delay(beforeRetry retry: Int, unitRandom: Double) -> Duration? {
        switch backoff {
        case .immediate:
            return .zero
        case .fixed(let pause):
            return pause
        case .never:
            return nil
        case .exponential(let initial, let multiplier, let max, let jitter):
            let exponent = Double(Swift.max(0, retry - 1))
            let base = Swift.min(initial.seconds * Foundation.pow(multiplier, exponent), max.seconds)
            let spread = base * jitter * (2 * unitRandom - 1)
            return .seconds(Swift.max(0, base + spread))
        }
    }
}
