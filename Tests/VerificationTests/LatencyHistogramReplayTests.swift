import Histogram
import Verification
import XCTest

final class LatencyHistogramReplayTests: XCTestCase {
    func testReplayingAHistogramRecordedElsewhereKeepsCountsPercentilesAndMaximum() {
        var recorded = Histogram<UInt64>(
            lowestDiscernibleValue: 1_000, highestTrackableValue: 60_000_000_000, numberOfSignificantValueDigits: .three)
        var direct = LatencyHistogram()
        for value: UInt64 in [150_000, 180_000, 2_500_000, 2_500_000, 9_000_000_000] {
            recorded.record(value)
            direct.record(value)
        }
        let replayed = LatencyHistogram(replaying: recorded)
        XCTAssertEqual(replayed.count, 5)
        XCTAssertEqual(replayed.valueAt(percentile: 50), direct.valueAt(percentile: 50))
        XCTAssertEqual(replayed.valueAt(percentile: 99), direct.valueAt(percentile: 99))
        XCTAssertEqual(replayed.exactMaxNs, 9_000_000_000, "the exact maximum, not its bucket")
    }
}
