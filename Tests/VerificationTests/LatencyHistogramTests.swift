import Foundation
import Verification
import XCTest

final class LatencyHistogramTests: XCTestCase {
    /// Deterministic spread of values over µs…minutes.
    private func values(seed: UInt64, count: Int) -> [UInt64] {
        var state = seed
        return (0..<count).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let exponent = (state >> 59) % 11          // 0…10
            var scale: UInt64 = 1_000
            for _ in 0..<exponent { scale *= 4 }
            return 1_000 + (state >> 20) % scale
        }
    }

    func testPercentilesAndExactMax() {
        var histogram = LatencyHistogram()
        for value in 1...1000 { histogram.record(UInt64(value) * 1_000_000) } // 1…1000 ms
        let summary = histogram.summary
        XCTAssertEqual(summary.count, 1000)
        XCTAssertEqual(Double(summary.p50Ns), 500e6, accuracy: 500e6 * 0.001)
        XCTAssertEqual(Double(summary.p99Ns), 990e6, accuracy: 990e6 * 0.001)
        XCTAssertEqual(summary.maxNs, 1_000_000_000)
        XCTAssertEqual(LatencyHistogram().summary.p99Ns, 0)
    }

    func testNoPercentileIsAboveTheExactMaximum() {
        var histogram = LatencyHistogram()
        histogram.record(1_940_001) // its HDR bucket's highest equivalent value is above it
        let summary = histogram.summary
        XCTAssertEqual(summary.maxNs, 1_940_001)
        XCTAssertEqual(summary.p999Ns, 1_940_001, "not the bucket's upper edge")
        XCTAssertEqual(summary.p50Ns, 1_940_001)
    }

    func testMergeOfEncodedHistogramsIsExact() throws {
        let first = values(seed: 1, count: 5000)
        let second = values(seed: 2, count: 3000) + [90_000_000_000] // beyond the initial range: resize
        var a = LatencyHistogram()
        first.forEach { a.record($0) }
        var b = LatencyHistogram()
        second.forEach { b.record($0) }
        var direct = LatencyHistogram()
        (first + second).forEach { direct.record($0) }

        // Through JSON, as two reports would carry them.
        let encoder = JSONEncoder()
        let decodedA = try LatencyHistogram(encoded: JSONDecoder().decode(EncodedHistogram.self, from: encoder.encode(a.encoded)))
        let decodedB = try LatencyHistogram(encoded: JSONDecoder().decode(EncodedHistogram.self, from: encoder.encode(b.encoded)))
        XCTAssertEqual(decodedA, a)
        var merged = decodedA
        merged.merge(decodedB)
        XCTAssertEqual(merged, direct)
        XCTAssertEqual(merged.encoded, direct.encoded)
        for percentile in [50.0, 90, 99, 99.9, 100] {
            XCTAssertEqual(merged.valueAt(percentile: percentile), direct.valueAt(percentile: percentile))
        }
    }

    func testForeignLayoutIsRefused() {
        var encoded = LatencyHistogram().encoded
        encoded.significantDigits = 2
        XCTAssertThrowsError(try LatencyHistogram(encoded: encoded))
        var damaged = LatencyHistogram().encoded
        damaged.totalCount = 3
        XCTAssertThrowsError(try LatencyHistogram(encoded: damaged))
    }
}
