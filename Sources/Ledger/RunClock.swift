/// The run's monotonic clock: nanoseconds since the run started.
///
/// Every event and every latency is read from one clock so that they can be
/// compared; tests inject a reading function to run on virtual time.
public struct RunClock: Sendable {
    private let read: @Sendable () -> UInt64

    /// A clock that starts at zero now and follows `ContinuousClock`.
    public init() {
        let start = ContinuousClock.now
        self.read = {
            let elapsed = start.duration(to: ContinuousClock.now)
            let (seconds, attoseconds) = elapsed.components
            return UInt64(max(seconds, 0)) &* 1_000_000_000 &+ UInt64(max(attoseconds, 0) / 1_000_000_000)
        }
    }

    /// A clock that returns whatever `reading` returns (virtual time in tests).
    public init(reading: @escaping @Sendable () -> UInt64) {
        self.read = reading
    }

    /// Nanoseconds since the run started.
    public func now() -> UInt64 { read() }
}
