import CHeapInUse
import Foundation

/// What the kernel and malloc say this process (and the broker) cost at one moment.
struct MeterReading {
    var atNs: UInt64
    /// User + system seconds of every thread of this process (getrusage).
    var cpu: Double
    /// utime + stime of the broker process, when its pid is known.
    var brokerCPU: Double?

    static func now(brokerPID: Int32?) -> MeterReading {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        let cpu = Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
            + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
        return MeterReading(atNs: DispatchTime.now().uptimeNanoseconds, cpu: cpu,
                            brokerCPU: brokerPID.flatMap(Self.cpu(ofProcess:)))
    }

    private static let ticksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))

    /// Fields 14 and 15 of /proc/PID/stat (after the name in parentheses, which may hold spaces).
    private static func cpu(ofProcess pid: Int32) -> Double? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        return (user + system) / ticksPerSecond
    }
}

/// Memory: the resident set (what the OS charges) and malloc's bytes in use (what the objects take,
/// without the allocator's free lists and page granularity).
struct MemoryReading {
    var rssKiB: Int
    var heapBytes: Int

    static func now() -> MemoryReading {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        let rss = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") }
            .flatMap { Int($0.split(separator: " ")[1]) } ?? 0
        return MemoryReading(rssKiB: rss, heapBytes: Int(heap_in_use()))
    }
}
