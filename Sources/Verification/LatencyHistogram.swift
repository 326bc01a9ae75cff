import Histogram

/// An HDR histogram of latencies in nanoseconds with one fixed layout, so that
/// histograms from different observers and different runs merge exactly.
///
/// Layout: 1 µs lowest discernible value, 3 significant digits, auto-resizing.
/// The encoded form (``EncodedHistogram``) lists each non-empty bucket once;
/// replaying it into the same layout reproduces the counts bit for bit.
public struct LatencyHistogram: Sendable, Equatable {
    /// Values below this are indistinguishable from it (1 µs).
    public static let lowestDiscernibleNs: UInt64 = 1_000
    /// Precision: values are kept to 3 significant decimal digits.
    public static let significantDigits = 3

    public private(set) var histogram: Histogram<UInt64>
    /// The largest value recorded, exact (the histogram keeps it only to its precision).
    public private(set) var exactMaxNs: UInt64 = 0

    public init() {
        var histogram = Histogram<UInt64>(
            lowestDiscernibleValue: Self.lowestDiscernibleNs,
            highestTrackableValue: 60_000_000_000,
            numberOfSignificantValueDigits: .three
        )
        histogram.autoResize = true
        self.histogram = histogram
    }

    /// Records one latency. Never allocates unless the value exceeds every value so far
    /// by more than the current range (above one minute), when the histogram grows once.
    @inline(__always)
    public mutating func record(_ nanoseconds: UInt64) {
        histogram.record(nanoseconds)
        if nanoseconds > exactMaxNs { exactMaxNs = nanoseconds }
    }

    /// Takes over a histogram recorded elsewhere (the fleet's acknowledgement latencies): exactly
    /// when it has this layout, else bucket by bucket (to the coarser of the two precisions).
    public init(replaying other: Histogram<UInt64>) {
        self.init()
        if other.lowestDiscernibleValue == Self.lowestDiscernibleNs && other.numberOfSignificantValueDigits == .three {
            histogram.add(other)
        } else {
            for bucket in other.recordedValues() {
                histogram.record(bucket.value, count: bucket.count)
            }
        }
        exactMaxNs = other.maxRecorded
    }

    /// Adds every count of `other` into this histogram (exact: same layout).
    public mutating func merge(_ other: LatencyHistogram) {
        histogram.add(other.histogram)
        exactMaxNs = max(exactMaxNs, other.exactMaxNs)
    }

    public var count: UInt64 { histogram.totalCount }

    /// The value at `percentile` (0…100), to the histogram's precision; 0 when empty.
    /// The 100th percentile is the exact maximum (the HDR value would depend on how
    /// the histogram was built, recorded or replayed, within its precision), and no
    /// percentile is reported above it (HDR gives a bucket's highest equivalent value).
    public func valueAt(percentile: Double) -> UInt64 {
        if count == 0 { return 0 }
        return percentile >= 100 ? exactMaxNs : min(histogram.valueAtPercentile(percentile), exactMaxNs)
    }

    /// p50, p90, p99, p99.9 and the exact maximum.
    public var summary: LatencySummary {
        LatencySummary(
            count: count,
            p50Ns: valueAt(percentile: 50),
            p90Ns: valueAt(percentile: 90),
            p99Ns: valueAt(percentile: 99),
            p999Ns: valueAt(percentile: 99.9),
            maxNs: exactMaxNs
        )
    }

    /// The mergeable on-disk form.
    public var encoded: EncodedHistogram {
        var buckets: [[UInt64]] = []
        for bucket in histogram.recordedValues() {
            buckets.append([bucket.value, bucket.count])
        }
        return EncodedHistogram(
            lowestDiscernibleNs: Self.lowestDiscernibleNs,
            significantDigits: Self.significantDigits,
            totalCount: count,
            exactMaxNs: exactMaxNs,
            buckets: buckets
        )
    }

    /// Rebuilds a histogram from its encoded form.
    public init(encoded: EncodedHistogram) throws {
        guard encoded.lowestDiscernibleNs == Self.lowestDiscernibleNs,
              encoded.significantDigits == Self.significantDigits
        else {
            throw EncodedHistogramError.layoutMismatch(
                lowestDiscernibleNs: encoded.lowestDiscernibleNs,
                significantDigits: encoded.significantDigits
            )
        }
        self.init()
        var total: UInt64 = 0
        for bucket in encoded.buckets {
            guard bucket.count == 2 else { throw EncodedHistogramError.malformedBucket(bucket) }
            histogram.record(bucket[0], count: bucket[1])
            total &+= bucket[1]
        }
        guard total == encoded.totalCount else {
            throw EncodedHistogramError.countMismatch(declared: encoded.totalCount, buckets: total)
        }
        exactMaxNs = encoded.exactMaxNs
    }

    public static func == (lhs: LatencyHistogram, rhs: LatencyHistogram) -> Bool {
        lhs.histogram == rhs.histogram && lhs.exactMaxNs == rhs.exactMaxNs
    }
}

/// A latency histogram as stored in the JSON report, designed for exact merging.
///
/// `buckets` is a list of `[value, count]` pairs, one per non-empty HDR bucket, where
/// `value` is the highest value equivalent to the bucket (HdrHistogram's
/// "highest equivalent value"). Any tool that records each `value` `count` times into
/// an HdrHistogram with the same `lowestDiscernibleNs` and `significantDigits`
/// obtains identical bucket counts; merging two reports is adding their pairs.
public struct EncodedHistogram: Codable, Sendable, Hashable {
    public var lowestDiscernibleNs: UInt64
    public var significantDigits: Int
    public var totalCount: UInt64
    public var exactMaxNs: UInt64
    public var buckets: [[UInt64]]
}

/// Why an encoded histogram cannot be read.
public enum EncodedHistogramError: Error, Equatable, CustomStringConvertible {
    case layoutMismatch(lowestDiscernibleNs: UInt64, significantDigits: Int)
    case malformedBucket([UInt64])
    case countMismatch(declared: UInt64, buckets: UInt64)

    public var description: String {
        switch self {
        case .layoutMismatch(let lowest, let digits):
            "histogram layout \(lowest) ns / \(digits) digits differs from 1000 ns / 3 digits; cannot merge exactly"
        case .malformedBucket(let bucket):
            "histogram bucket \(bucket) is not a [value, count] pair"
        case .countMismatch(let declared, let buckets):
            "histogram declares \(declared) values but its buckets hold \(buckets)"
        }
    }
}

/// The percentiles a report shows for one latency phase.
public struct LatencySummary: Codable, Sendable, Hashable {
    public var count: UInt64
    public var p50Ns: UInt64
    public var p90Ns: UInt64
    public var p99Ns: UInt64
    public var p999Ns: UInt64
    public var maxNs: UInt64
}
