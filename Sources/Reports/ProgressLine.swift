import Verification

/// What the run command knows at one moment, for the live progress line.
public struct ProgressSnapshot: Sendable, Hashable {
    public var elapsedNs: UInt64
    /// Planned length of the timeline; 0 when unknown (no bar then).
    public var plannedNs: UInt64
    public var devices: Int
    public var connected: Int
    public var connecting: Int
    /// Devices neither connected nor connecting (not started, waiting to retry, stopped).
    public var down: Int
    public var publishedPerSecond: Double
    public var deliveredPerSecond: Double
    public var faultsInjected: Int
    /// Will verdicts so far by judgement (`delivered`, `missing`, …).
    public var verdicts: [String: Int]

    public init(
        elapsedNs: UInt64, plannedNs: UInt64, devices: Int, connected: Int, connecting: Int, down: Int,
        publishedPerSecond: Double, deliveredPerSecond: Double, faultsInjected: Int, verdicts: [String: Int] = [:]
    ) {
        self.elapsedNs = elapsedNs
        self.plannedNs = plannedNs
        self.devices = devices
        self.connected = connected
        self.connecting = connecting
        self.down = down
        self.publishedPerSecond = publishedPerSecond
        self.deliveredPerSecond = deliveredPerSecond
        self.faultsInjected = faultsInjected
        self.verdicts = verdicts
    }

    /// What the line says apart from what moves at every refresh (clock, rates): a log gets a line when it changes.
    public var counts: ProgressSnapshot {
        var counts = self
        counts.elapsedNs = 0
        counts.publishedPerSecond = 0
        counts.deliveredPerSecond = 0
        return counts
    }
}

/// Formats the progress line the run command prints periodically. Pure: the caller decides when to print
/// and where (`LiveDisplay`).
public enum ProgressLine {
    /// On a terminal (`.ansi`): a progress bar, the clock and the counts, fitted to `width` columns by
    /// leaving out the least important fields whole: rates and the bar go first, the will verdicts
    /// (failures first) are kept longest. Otherwise: a plain, timestamped line for logs, without bar or
    /// control characters.
    public static func render(_ snapshot: ProgressSnapshot, style: TerminalStyle, width: Int = .max) -> String {
        let time = clock(snapshot.elapsedNs) + (snapshot.plannedNs > 0 ? "/" + clock(snapshot.plannedNs) : "")
        let head = style == .ansi
            ? [LiveField(bar(snapshot, width: 20), priority: 30), LiveField(time, priority: 85, tight: true)]
            : [LiveField("[\(time)]", priority: 85)]
        return LiveLine.render(head + fields(snapshot), width: width, style: style)
    }

    /// The judgements that are wrong whatever the scenario expects.
    static let failures: Set<WillJudgement> = [.missing, .late, .early, .unexpected, .duplicated]

    /// The counts after the clock, in display order, with their priorities.
    static func fields(_ snapshot: ProgressSnapshot) -> [LiveField] {
        var fields = [
            LiveField("up \(snapshot.connected)/\(snapshot.devices)", priority: 80, tight: true),
            LiveField("connecting \(snapshot.connecting)", priority: 45),
            LiveField("down \(snapshot.down)", priority: 70),
            LiveField("out \(rate(snapshot.publishedPerSecond))/s", priority: 20),
            LiveField("in \(rate(snapshot.deliveredPerSecond))/s", priority: 10),
            LiveField("faults \(snapshot.faultsInjected)", priority: 60),
        ]
        for judgement in WillJudgement.allCases {
            guard let count = snapshot.verdicts[judgement.rawValue], count > 0 else { continue }
            // While the run goes, an undecided ending is one whose deadline is still ahead: Wording's "pending".
            let failing = failures.contains(judgement)
            fields.append(LiveField("\(Wording.judgement(judgement)) \(count)",
                                    priority: failing ? 100 : judgement == .absent ? 93 : 95,
                                    failing: failing, group: "wills"))
        }
        return fields
    }

    static func bar(_ snapshot: ProgressSnapshot, width: Int) -> String {
        guard snapshot.plannedNs > 0 else { return "[" + String(repeating: "·", count: width) + "]" }
        let fraction = min(Double(snapshot.elapsedNs) / Double(snapshot.plannedNs), 1)
        let filled = Int((fraction * Double(width)).rounded(.down))
        return "[" + String(repeating: "#", count: filled) + String(repeating: "·", count: width - filled) + "]"
    }

    /// `m:ss`, or `h:mm:ss` past an hour.
    static func clock(_ ns: UInt64) -> String {
        let total = ns / 1_000_000_000
        let hours = total / 3600, minutes = (total % 3600) / 60, seconds = total % 60
        let ss = String(seconds).leftPad(2)
        return hours > 0 ? "\(hours):\(String(minutes).leftPad(2)):\(ss)" : "\(minutes):\(ss)"
    }

    static func rate(_ value: Double) -> String {
        value >= 10_000 ? Format.fixed(value / 1_000, digits: 1) + "k" : Format.fixed(value, digits: 0)
    }
}

extension String {
    func leftPad(_ width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
