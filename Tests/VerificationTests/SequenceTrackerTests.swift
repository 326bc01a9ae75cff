import Verification
import XCTest

final class SequenceTrackerTests: XCTestCase {
    private func track(_ sequences: [UInt64]) -> SequenceTracker {
        var tracker = SequenceTracker()
        for sequence in sequences { tracker.record(sequence) }
        return tracker
    }

    func testInOrderStreamHasNoIrregularities() {
        let counts = track(Array(0..<1000)).counts()
        XCTAssertEqual(counts, TelemetryCounts(delivered: 1000, unique: 1000))
    }

    func testGapFilledLaterIsOutOfOrderNotLost() {
        var tracker = SequenceTracker()
        XCTAssertEqual(tracker.record(0), .inOrder)
        XCTAssertEqual(tracker.record(1), .inOrder)
        XCTAssertEqual(tracker.record(3), .inOrder)
        XCTAssertEqual(tracker.record(4), .inOrder)
        XCTAssertEqual(tracker.record(2), .outOfOrder)
        XCTAssertEqual(tracker.record(5), .inOrder)
        XCTAssertEqual(tracker.counts(), TelemetryCounts(delivered: 6, unique: 6, outOfOrder: 1))
    }

    func testGapsThatNeverFillAreLost() {
        let counts = track([0, 1, 4, 5, 9]).counts()
        XCTAssertEqual(counts.lost, 5) // 2, 3, 6, 7, 8
        XCTAssertEqual(counts.unique, 5)
        XCTAssertEqual(counts.outOfOrder, 0)
    }

    func testMissingFirstMessageIsLost() {
        XCTAssertEqual(track([1, 2, 3]).counts().lost, 1)
    }

    func testDuplicatesAreCountedNotLost() {
        var tracker = SequenceTracker()
        for sequence: UInt64 in [0, 1, 1, 2, 5, 5, 3, 4, 2] { tracker.record(sequence) }
        let counts = tracker.counts()
        XCTAssertEqual(counts.duplicates, 3)
        XCTAssertEqual(counts.unique, 6)
        XCTAssertEqual(counts.delivered, 9)
        XCTAssertEqual(counts.lost, 0)
        XCTAssertEqual(counts.outOfOrder, 2) // 3 and 4 after 5
    }

    func testRebootRestartsAtZeroAndClosesTheEpoch() {
        var tracker = SequenceTracker()
        for sequence: UInt64 in 0..<50 where sequence != 20 { tracker.record(sequence) }
        XCTAssertEqual(tracker.record(0), .restart)
        for sequence: UInt64 in 1..<10 { tracker.record(sequence) }
        let counts = tracker.counts()
        XCTAssertEqual(counts.restarts, 1)
        XCTAssertEqual(counts.lost, 1) // 20 of the first boot
        XCTAssertEqual(counts.unique, 49 + 10)
        XCTAssertEqual(counts.duplicates, 0)
    }

    func testEarlyRepeatOfFirstSequenceIsADuplicateNotAReboot() {
        var tracker = SequenceTracker()
        for sequence: UInt64 in 0..<5 { tracker.record(sequence) }
        XCTAssertEqual(tracker.record(0), .duplicate)
        XCTAssertEqual(tracker.counts().restarts, 0)
    }

    func testDeviceSummaryAddsTailLoss() {
        let tracker = track([0, 1, 2, 3])
        let counts = tracker.counts(deviceSummary: (sent: 8, lastSequence: 7))
        XCTAssertEqual(counts.lost, 4)
        XCTAssertEqual(counts.sent, 8)
        let silent = SequenceTracker().counts(deviceSummary: (sent: 3, lastSequence: 2))
        XCTAssertEqual(silent.lost, 3)
        XCTAssertEqual(SequenceTracker().counts(deviceSummary: (sent: 0, lastSequence: 0)).lost, 0)
    }

    func testTooManyOpenGapsGiveUpTheOldestAsLost() {
        var tracker = SequenceTracker()
        // Every other sequence: one open gap per message.
        let count = UInt64(SequenceTracker.maxIslands + 10)
        for index in 0..<count { tracker.record(index * 2 + 1) }
        let counts = tracker.counts()
        XCTAssertEqual(counts.unique, count)
        XCTAssertEqual(counts.lost, count) // 0, 2, 4, … below the highest
    }

    func testMergeOfPartitionedObserversIsACopy() {
        let seen = track([0, 1, 2, 5])
        var merged = SequenceTracker()
        merged.merge(seen)
        XCTAssertEqual(merged.counts(), seen.counts())
        var other = seen
        other.merge(SequenceTracker())
        XCTAssertEqual(other.counts(), seen.counts())
    }

    func testMergeUnitesReceivedSetsExactly() {
        var left = track([0, 1, 4, 6])
        let right = track([2, 3, 4, 7])
        left.merge(right)
        let counts = left.counts()
        XCTAssertEqual(counts.unique, 7)      // 0…4, 6, 7
        XCTAssertEqual(counts.duplicates, 1)  // 4 seen by both
        XCTAssertEqual(counts.lost, 1)        // 5
        XCTAssertEqual(counts.delivered, 8)
        // The merged tracker keeps counting correctly.
        left.record(5)
        XCTAssertEqual(left.counts().lost, 0)
        XCTAssertEqual(left.counts().unique, 8)
    }
}
