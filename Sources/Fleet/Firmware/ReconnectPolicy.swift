/// When a device tries again after a failed connect or a lost connection, like the retry loops in
/// device firmware (fixed `delay(5000)` loops, esp-mqtt's reconnect timeout, exponential backoff with
/// jitter and a cap).
public struct ReconnectPolicy: Sendable, Hashable {
    public enum Schedule: Sendable, Hashable {
        /// The device never reconnects on its own (only a timeline step brings it back).
        case never
        /// Always the same delay between attempts.
        case fixed(Duration)
        /// `initial × multiplier^(attempt-1)`, capped at `max`, then spread by ±`jitter` (a fraction,
        /// 0…1) and capped at `max` again so the cap is a promise.
        case exponential(initial: Duration, multiplier: Double, max: Duration, jitter: Double)
    }

    public var schedule: Schedule
    /// Consecutive failed attempts after which the device gives up; nil = forever.
    public var maxAttempts: Int?

    public init(schedule: Schedule, maxAttempts: Int? = nil) {
        self.schedule = schedule
        self.maxAttempts = maxAttempts
    }

    public static let never = ReconnectPolicy(schedule: .never)

    /// The delay before reconnect attempt `attempt` (1 = the first attempt after a drop or a failed
    /// connect), or nil when the device must give up.
    public func delay(beforeAttempt attempt: Int, using random: inout some RandomNumberGenerator) -> Duration? {
        if let maxAttempts, attempt > maxAttempts { return nil }
        switch schedule {
        case .never:
            return nil
        case .fixed(let interval):
            return interval
        case .exponential(let initial, let multiplier, let cap, let jitter):
            let capSeconds = cap.seconds
            let growth = integerPower(max(multiplier, 1), max(attempt - 1, 0))
            let base = min(initial.seconds * growth, capSeconds)
            let spread = min(max(jitter, 0), 1)
            let unit = Double(random.next() >> 11) * 0x1.0p-53
            let jittered = base * (1 + spread * (2 * unit - 1))
            return .seconds(min(max(jittered, 0), capSeconds))
        }
    }
}

/// `base^exponent` by repeated squaring: backoff exponents are whole attempt counts, and this keeps the
/// firmware model free of platform math libraries.
func integerPower(_ base: Double, _ exponent: Int) -> Double {
    var result = 1.0
    var factor = base
    var remaining = exponent
    while remaining > 0 {
        if remaining & 1 == 1 { result *= factor }
        factor *= factor
        remaining >>= 1
        if result.isInfinite { return result }
    }
    return result
}

extension Duration {
    /// The duration in seconds as a Double, for rate arithmetic.
    var seconds: Double {
        let parts = components
        return Double(parts.seconds) + Double(parts.attoseconds) * 1e-18
    }
}
