#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The run's monotonic clock: nanoseconds since the run started.
///
/// Every event and every latency is read from one clock so that they can be
/// compared; tests inject a reading function to run on virtual time. The clock is the
/// system's monotonic clock, which every process on the machine shares, so worker
/// processes given the coordinator's `originNs` write events on the same time line.
public struct RunClock: Sendable {
    private let read: @Sendable () -> UInt64
    /// The system monotonic time (ns) the run started at; 0 for injected clocks.
    public let originNs: UInt64

    /// A clock that starts at zero now.
    public init() {
        self.init(originNs: Self.monotonicNs())
    }

    /// A clock whose zero is `originNs` on the system monotonic clock (another process's run start).
    public init(originNs: UInt64) {
        self.originNs = originNs
        self.read = {
            let now = Self.monotonicNs()
            return now > originNs ? now - originNs : 0
        }
    }

    /// A clock that returns whatever `reading` returns (virtual time in tests).
    public init(reading: @escaping @Sendable () -> UInt64) {
        self.read = reading
        self.originNs = 0
    }

    /// Nanoseconds since the run started.
    public func now() -> UInt64 { read() }

    /// The system monotonic clock, in ns.
    public static func monotonicNs() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) &* 1_000_000_000 &+ UInt64(now.tv_nsec)
    }
}
