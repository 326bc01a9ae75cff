import Ledger

/// Connection figures of a run, from the ledger.
public struct ConnectionStats: Codable, Sendable, Hashable {
    /// Connection attempts started.
    public var attempts: Int = 0
    /// Attempts that ended in an accepted CONNACK.
    public var connects: Int = 0
    /// Failed attempts by stage (`tcp`, `tls`, `connack`, `subscribe`).
    public var failuresByStage: [String: Int] = [:]
    /// Failed attempts by reason text, for the summary's error list.
    public var failuresByReason: [String: Int] = [:]
    /// Ended connections by cause.
    public var disconnectsByCause: [String: Int] = [:]
    /// Subscriptions the broker refused.
    public var subscribeRefused: Int = 0
    /// Devices that connected at least once.
    public var devicesEverConnected: Int = 0
    /// Devices connected at the check moment (the `stop` step, else the end).
    public var connectedAtEnd: Int = 0

    public init() {}
}

/// What the timeline injected, for the report's fault timeline.
public struct FaultMark: Codable, Sendable, Hashable {
    /// Run time of the first injection of this kind in this second.
    public var at: UInt64
    public var fault: String
    /// Devices it hit in that second.
    public var devices: Int

    public init(at: UInt64, fault: String, devices: Int) {
        self.at = at
        self.fault = fault
        self.devices = devices
    }
}

/// A timeline step as executed.
public struct StepMark: Codable, Sendable, Hashable {
    public var at: UInt64
    public var index: Int
    public var action: String
    public var line: Int

    public init(at: UInt64, index: Int, action: String, line: Int) {
        self.at = at
        self.index = index
        self.action = action
        self.line = line
    }
}

/// Per-second series for the plots.
public struct RunSeries: Codable, Sendable, Hashable {
    /// Width of one sample (1 s).
    public var intervalNs: UInt64 = 1_000_000_000
    /// Devices connected at the end of each second.
    public var connected: [Int] = []
    /// Telemetry messages the devices published per second (from the fleet, when given).
    public var published: [UInt64] = []
    /// Telemetry messages the observers received per second.
    public var delivered: [UInt64] = []

    public init() {}
}

/// Derives connection statistics, series and marks from the ledger.
public enum ConnectionAnalysis {
    /// Counts, the connected-devices series, the fault timeline and the executed steps.
    public static func analyze(
        _ events: [RunEvent], cutoff: UInt64
    ) -> (stats: ConnectionStats, connectedPerSecond: [Int], faults: [FaultMark], steps: [StepMark]) {
        var stats = ConnectionStats()
        var online: Set<String> = []
        var ever: Set<String> = []
        var onlineAtCutoff: Int?
        let end = events.map(\.at).max() ?? 0
        var connectedPerSecond = Array(repeating: 0, count: Int(end / 1_000_000_000) + 1)
        var second = 0
        var faults: [FaultMark] = []
        var steps: [StepMark] = []
        let ordered = events.enumerated().sorted { ($0.element.at, $0.offset) < ($1.element.at, $1.offset) }
        for (_, event) in ordered {
            let eventSecond = Int(event.at / 1_000_000_000)
            while second < eventSecond {
                connectedPerSecond[second] = online.count
                second += 1
            }
            if onlineAtCutoff == nil && event.at > cutoff { onlineAtCutoff = online.count }
            let device = event.device
            switch event.kind {
            case .timelineStep(let index, let action, let line):
                steps.append(StepMark(at: event.at, index: index, action: action, line: line))
            case .connecting:
                stats.attempts += 1
            case .connected:
                stats.connects += 1
                if let device {
                    online.insert(device)
                    ever.insert(device)
                }
            case .connectFailed(let stage, let reason, _):
                stats.failuresByStage[stage.rawValue, default: 0] += 1
                stats.failuresByReason["\(stage.rawValue): \(reason)", default: 0] += 1
            case .subscribeRefused:
                stats.subscribeRefused += 1
            case .disconnected(let cause, _):
                stats.disconnectsByCause[cause.rawValue, default: 0] += 1
                if let device { online.remove(device) }
            case .faultInjected(let fault, _, _, _, _, _, _, _):
                if [.abrupt, .silent, .graceful, .gracefulWithWill].contains(fault), let device {
                    online.remove(device)
                }
                if let last = faults.last, last.fault == fault.rawValue,
                   last.at / 1_000_000_000 == event.at / 1_000_000_000 {
                    faults[faults.count - 1].devices += 1
                } else {
                    faults.append(FaultMark(at: event.at, fault: fault.rawValue, devices: 1))
                }
            default:
                continue
            }
        }
        while second < connectedPerSecond.count {
            connectedPerSecond[second] = online.count
            second += 1
        }
        stats.devicesEverConnected = ever.count
        stats.connectedAtEnd = onlineAtCutoff ?? online.count
        return (stats, connectedPerSecond, faults, steps)
    }
}
