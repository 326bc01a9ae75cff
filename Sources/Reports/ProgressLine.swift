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
}

/// Formats the progress line the run command prints periodically. Pure: the caller
/// decides when to print and where.
public enum ProgressLine {
    /// On a TTY: one line meant to overwrite itself (prefix `\r`, the caller prints
    /// without newline), with a progress bar, cut to `width` columns. Otherwise: a
    /// plain, timestamped line for logs, without bar or control characters.
    public static func render(_ snapshot: ProgressSnapshot, style: TerminalStyle, width: Int = 120) -> String {
        let time = clock(snapshot.elapsedNs) + (snapshot.plannedNs > 0 ? "/" + clock(snapshot.plannedNs) : "")
        var fields = [
            "up \(snapshot.connected)/\(snapshot.devices)",
            "connecting \(snapshot.connecting)",
            "down \(snapshot.down)",
            "out \(rate(snapshot.publishedPerSecond))/s",
            "in \(rate(snapshot.deliveredPerSecond))/s",
            "faults \(snapshot.faultsInjected)",
        ]
        let verdicts = WillJudgement.allCases.compactMap { judgement in
            // While the run goes, an undecided ending is one whose deadline is still ahead.
            let label = judgement == .undecided ? "pending" : judgement.rawValue
            return snapshot.verdicts[judgement.rawValue].flatMap { $0 > 0 ? "\(label) \($0)" : nil }
        }
        if !verdicts.isEmpty { fields.append("wills: " + verdicts.joined(separator: " ")) }
        let text = fields.joined(separator: " · ")
        guard style == .ansi else { return "[\(time)] " + text }
        var line = bar(snapshot, width: 20) + " " + time + " " + text
        if line.count > width { line = String(line.prefix(max(width - 1, 0))) + "…" }
        return "\r" + line + "\u{1B}[K"
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
