extension SequenceTracker {
    /// Folds in what another observer connection counted for the same device.
    ///
    /// Exact for the current boot: the received sets are united, so a message seen by
    /// both observers counts once plus one duplicate. When observers partition devices
    /// (the recommended set-up) one side is always empty and the merge is a copy.
    /// Epochs closed by a reboot keep only their totals, so if one device's stream was
    /// split between observers those older epochs are merged approximately (the larger
    /// unique count and the smaller loss are kept).
    public mutating func merge(_ other: SequenceTracker) {
        precondition(firstSequence == other.firstSequence, "trackers of one device share their first sequence")
        if other.delivered == 0 { return }
        if delivered == 0 {
            self = other
            return
        }
        if restarts != other.restarts {
            let (ahead, behind) = restarts > other.restarts ? (self, other) : (other, self)
            self = ahead
            delivered = ahead.delivered + behind.delivered
            duplicates = ahead.duplicates + behind.duplicates
            outOfOrder = ahead.outOfOrder + behind.outOfOrder
            return
        }
        let mine = heldRanges
        let theirs = other.heldRanges
        let united = Self.union(mine + theirs)
        let heldMine = mine.reduce(UInt64(0)) { $0 + UInt64($1.count) }
        let heldTheirs = theirs.reduce(UInt64(0)) { $0 + UInt64($1.count) }
        let heldUnited = united.reduce(UInt64(0)) { $0 + UInt64($1.count) }
        let overlap = heldMine + heldTheirs - heldUnited

        duplicates = duplicates + other.duplicates + overlap
        delivered += other.delivered
        outOfOrder += other.outOfOrder
        closedUnique = max(closedUnique, other.closedUnique)
        closedLost = min(closedLost - givenUpInEpoch, other.closedLost - other.givenUpInEpoch)
        givenUpInEpoch = max(givenUpInEpoch, other.givenUpInEpoch)
        closedLost += givenUpInEpoch
        uniqueInEpoch = heldUnited - givenUpInEpoch
        highest = [highest, other.highest].compactMap { $0 }.max()
        if let first = united.first, first.lowerBound == firstSequence {
            contiguousEnd = first.upperBound + 1
            islands = Array(united.dropFirst())
        } else {
            contiguousEnd = firstSequence
            islands = united
        }
    }

    /// Everything held in the current epoch as ranges (given-up gaps included).
    private var heldRanges: [ClosedRange<UInt64>] {
        var ranges: [ClosedRange<UInt64>] = []
        if contiguousEnd > firstSequence { ranges.append(firstSequence...(contiguousEnd - 1)) }
        ranges.append(contentsOf: islands)
        return ranges
    }

    /// Sorted, disjoint, non-adjacent union of `ranges`.
    private static func union(_ ranges: [ClosedRange<UInt64>]) -> [ClosedRange<UInt64>] {
        var result: [ClosedRange<UInt64>] = []
        for range in ranges.sorted(by: { $0.lowerBound < $1.lowerBound }) {
            if let last = result.last, range.lowerBound <= last.upperBound &+ 1 {
                result[result.count - 1] = last.lowerBound...max(last.upperBound, range.upperBound)
            } else {
                result.append(range)
            }
        }
        return result
    }
}
