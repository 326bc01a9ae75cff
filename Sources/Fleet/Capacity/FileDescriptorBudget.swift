#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Open-file accounting for a run: every device connection, impostor and observer is one socket.
/// A run checks the budget BEFORE connecting anything, so a scenario that cannot fit is refused with a
/// clear message instead of failing devices with EMFILE halfway through a ramp.
public struct FileDescriptorBudget: Sendable, Hashable {
    /// Descriptors kept for the process itself: event loops (epoll, eventfd, timerfd), the ledger,
    /// certificates being read, stdio.
    public static let spare = 64

    public var softLimit: Int
    public var hardLimit: Int

    public init(softLimit: Int, hardLimit: Int) {
        self.softLimit = softLimit
        self.hardLimit = hardLimit
    }

    /// The process's current limits.
    public static func current() -> FileDescriptorBudget {
        var limit = rlimit()
        getrlimit(resourceNoFile, &limit)
        return FileDescriptorBudget(softLimit: clampToInt(limit.rlim_cur), hardLimit: clampToInt(limit.rlim_max))
    }

    /// Raises this process's soft limit to its hard limit (no privileges needed) and returns the result.
    @discardableResult
    public static func raiseSoftLimitToHard() -> FileDescriptorBudget {
        var limit = rlimit()
        if getrlimit(resourceNoFile, &limit) == 0, limit.rlim_cur < limit.rlim_max {
            limit.rlim_cur = limit.rlim_max
            _ = setrlimit(resourceNoFile, &limit)
        }
        return current()
    }

    /// Sockets the run may open at most at once: devices + impostors + observers.
    public var availableConnections: Int { max(softLimit - Self.spare, 0) }

    /// Fails with the numbers when `connections` do not fit.
    public func check(devices: Int, impostors: Int, observers: Int) throws(FleetLimitError) {
        let needed = devices + impostors + observers + Self.spare
        guard needed <= softLimit else {
            throw FleetLimitError(
                problem: "the scenario needs \(needed) open files (\(devices) devices + \(impostors) impostors + "
                    + "\(observers) observers + \(Self.spare) spare) but this process may open \(softLimit) "
                    + "(hard limit \(hardLimit))",
                hint: hardLimit > softLimit
                    ? "raise the soft limit with ulimit -n \(hardLimit)"
                    : "run at most \(availableConnections - impostors - observers) devices per process, or raise the hard limit (ulimit -Hn, /etc/security/limits.conf)"
            )
        }
    }

    private static func clampToInt(_ value: rlim_t) -> Int {
        value > rlim_t(Int.max) ? Int.max : Int(value)
    }
}

#if canImport(Glibc)
private let resourceNoFile = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
#else
private let resourceNoFile = RLIMIT_NOFILE
#endif

/// A run that cannot start as written, with what to do about it.
public struct FleetLimitError: Error, Sendable, Hashable, CustomStringConvertible {
    public var problem: String
    public var hint: String

    public var description: String { "\(problem) (hint: \(hint))" }
}
