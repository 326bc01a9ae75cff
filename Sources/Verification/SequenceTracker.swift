/// Counts one device's telemetry by its sequence numbers: unique, duplicated, out of
/// order and lost, with the sequence restarting when the device reboots.
///
/// Kept compact because an observer feeds tens of thousands of messages a second
/// into an array of these: per boot ("epoch") the tracker stores the end of the
/// contiguous run received so far and a sorted list of "islands" (ranges received
/// beyond a gap). In-order delivery touches two integers and never allocates; the
/// island list only exists while a gap is open.
///
/// A restart is recognised when a sequence near `firstSequence` arrives that this
/// epoch already holds while the epoch is well past it (`restartDistance`): a QoS 1
/// redelivery is never that far behind. A device that reboots before sending
/// `restartDistance` messages is therefore counted as duplicates, not as a restart.
public struct SequenceTracker: Sendable, Hashable {
    /// Sequences within this distance of `firstSequence` may start a new epoch.
    public static let restartWindow: UInt64 = 8
    /// A restart needs the epoch's highest sequence at least this far above.
    public static let restartDistance: UInt64 = 32
    /// Open gaps kept per device; beyond this the oldest gap is declared lost.
    public static let maxIslands = 1_024

    /// The sequence every boot starts at.
    public let firstSequence: UInt64

    /// Every sequence in `firstSequence..<contiguousEnd` was received in this epoch.
    var contiguousEnd: UInt64
    /// Received ranges above `contiguousEnd`, sorted, disjoint and not adjacent.
    var islands: [ClosedRange<UInt64>] = []
    var highest: UInt64?
    var uniqueInEpoch: UInt64 = 0
    var givenUpInEpoch: UInt64 = 0

    /// Messages delivered to the observer, duplicates included.
    public internal(set) var delivered: UInt64 = 0
    /// Messages whose sequence had already been received in the same epoch.
    public internal(set) var duplicates: UInt64 = 0
    /// New messages that arrived after a higher sequence of the same epoch.
    public internal(set) var outOfOrder: UInt64 = 0
    /// Reboots recognised (sequence restarted).
    public internal(set) var restarts: UInt64 = 0
    /// Unique messages of epochs already closed by a restart.
    var closedUnique: UInt64 = 0
    /// Gaps of closed epochs, plus gaps given up because of `maxIslands`.
    var closedLost: UInt64 = 0

    public init(firstSequence: UInt64 = 0) {
        self.firstSequence = firstSequence
        self.contiguousEnd = firstSequence
    }

    /// What one delivery meant.
    public enum Outcome: Sendable, Hashable {
        case inOrder, outOfOrder, duplicate, restart
    }

    /// Counts one delivered message.
    @discardableResult
    @inline(__always)
    public mutating func record(_ sequence: UInt64) -> Outcome {
        delivered &+= 1
        if sequence == contiguousEnd && islands.isEmpty {
            contiguousEnd &+= 1
            uniqueInEpoch &+= 1
            highest = sequence
            return .inOrder
        }
        return recordSlowPath(sequence)
    }

    private mutating func recordSlowPath(_ sequence: UInt64) -> Outcome {
        if contains(sequence) {
            if let top = highest,
               sequence <= firstSequence + Self.restartWindow,
               top >= sequence + Self.restartDistance {
                startNewEpoch()
                insertNew(sequence)
                return .restart
            }
            duplicates &+= 1
            return .duplicate
        }
        if sequence < firstSequence {
            // Below any boot's first sequence: the device counts differently than
            // declared. It is a message nonetheless; count it, outside any epoch.
            closedUnique &+= 1
            outOfOrder &+= 1
            return .outOfOrder
        }
        let late = highest.map { sequence < $0 } ?? false
        insertNew(sequence)
        if late {
            outOfOrder &+= 1
            return .outOfOrder
        }
        return .inOrder
    }

    private func contains(_ sequence: UInt64) -> Bool {
        if sequence >= firstSequence && sequence < contiguousEnd { return true }
        let index = firstIsland(above: sequence)
        return index > 0 && islands[index - 1].contains(sequence)
    }

    /// Index of the first island whose lower bound is above `sequence`.
    private func firstIsland(above sequence: UInt64) -> Int {
        var low = 0
        var high = islands.count
        while low < high {
            let middle = (low + high) / 2
            if islands[middle].lowerBound > sequence { high = middle } else { low = middle + 1 }
        }
        return low
    }

    /// Adds a sequence known not to be present and not below `firstSequence`.
    private mutating func insertNew(_ sequence: UInt64) {
        uniqueInEpoch &+= 1
        if highest.map({ sequence > $0 }) ?? true { highest = sequence }
        if sequence == contiguousEnd {
            contiguousEnd &+= 1
            absorbLeadingIsland()
            return
        }
        let right = firstIsland(above: sequence)
        let left = right - 1
        let joinsLeft = left >= 0 && islands[left].upperBound &+ 1 == sequence
        let joinsRight = right < islands.count && islands[right].lowerBound == sequence &+ 1
        switch (joinsLeft, joinsRight) {
        case (true, true):
            islands[left] = islands[left].lowerBound...islands[right].upperBound
            islands.remove(at: right)
        case (true, false):
            islands[left] = islands[left].lowerBound...sequence
        case (false, true):
            islands[right] = sequence...islands[right].upperBound
        case (false, false):
            islands.insert(sequence...sequence, at: right)
            if islands.count > Self.maxIslands { giveUpOldestGap() }
        }
    }

    private mutating func absorbLeadingIsland() {
        if let first = islands.first, first.lowerBound == contiguousEnd {
            contiguousEnd = first.upperBound &+ 1
            islands.removeFirst()
        }
    }

    private mutating func giveUpOldestGap() {
        let first = islands.removeFirst()
        let gap = first.lowerBound - contiguousEnd
        closedLost &+= gap
        givenUpInEpoch &+= gap
        contiguousEnd = first.upperBound &+ 1
    }

    private mutating func startNewEpoch() {
        closedLost &+= gapsInEpoch
        closedUnique &+= uniqueInEpoch
        restarts &+= 1
        contiguousEnd = firstSequence
        islands.removeAll()
        highest = nil
        uniqueInEpoch = 0
        givenUpInEpoch = 0
    }

    /// Sequences between `firstSequence` and the epoch's highest that never arrived
    /// (gaps already given up are counted in `closedLost`).
    var gapsInEpoch: UInt64 {
        guard let top = highest else { return 0 }
        return (top - firstSequence + 1) - uniqueInEpoch - givenUpInEpoch
    }

    /// The highest sequence of the current epoch, if any arrived since the last boot.
    public var highestInEpoch: UInt64? { highest }

    /// Unique messages over all epochs.
    public var unique: UInt64 { closedUnique + uniqueInEpoch }

    /// Final counts. `deviceSummary` is the device's own tally (sent, last sequence of
    /// its current boot): sequences after the last one received count as lost too.
    public func counts(deviceSummary: (sent: UInt64, lastSequence: UInt64)? = nil) -> TelemetryCounts {
        var lost = closedLost + gapsInEpoch
        var sent: UInt64?
        if let summary = deviceSummary {
            sent = summary.sent
            if summary.sent > 0 {
                if let top = highest {
                    if summary.lastSequence > top { lost += summary.lastSequence - top }
                } else if summary.lastSequence >= firstSequence {
                    lost += summary.lastSequence - firstSequence + 1
                }
            }
        }
        return TelemetryCounts(
            sent: sent,
            delivered: delivered,
            unique: unique,
            lost: lost,
            duplicates: duplicates,
            outOfOrder: outOfOrder,
            restarts: restarts
        )
    }
}
