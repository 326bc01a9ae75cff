import Foundation

/// CPU time read from the kernel: the whole process, one thread of it (an event loop), or another
/// process (mosquitto). Comparing them second by second tells which of the three was saturated.
enum CPUTime {
    private static let ticksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))

    /// User + system seconds of this process (all threads).
    static func process() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }

    /// User + system seconds of thread `tid` of this process.
    static func thread(_ tid: Int) -> Double {
        stat("/proc/self/task/\(tid)/stat") ?? 0
    }

    /// User + system seconds of process `pid`.
    static func otherProcess(_ pid: Int32) -> Double {
        stat("/proc/\(pid)/stat") ?? 0
    }

    /// The kernel's id of the calling thread (`/proc/thread-self` → `<pid>/task/<tid>`).
    static func currentThreadID() -> Int {
        let link = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/thread-self")) ?? ""
        return Int(link.split(separator: "/").last ?? "") ?? 0
    }

    private static func seconds(_ time: timeval) -> Double {
        Double(time.tv_sec) + Double(time.tv_usec) / 1e6
    }

    /// utime + stime (fields 14 and 15) of a `stat` file; the name in field 2 may hold spaces.
    private static func stat(_ path: String) -> Double? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8),
              let close = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        return (user + system) / ticksPerSecond
    }
}
