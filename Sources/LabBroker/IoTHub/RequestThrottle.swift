import NIOCore

/// A token bucket on injected time: `ratePerSecond` requests a second on average, bursts up to
/// `ratePerSecond × windowSeconds`. Integer arithmetic (a request costs one second's worth of
/// nanoseconds), so the same times always give the same answers.
struct RequestThrottle: Sendable, Hashable {
    private static let cost: Int64 = 1_000_000_000

    private let ratePerSecond: Int64
    private let capacity: Int64
    private var credit: Int64
    private var lastRefill: NIODeadline?

    /// A rate of zero or less refuses everything.
    init(ratePerSecond: Int, windowSeconds: Int) {
        self.ratePerSecond = Int64(max(0, ratePerSecond))
        let burst = self.ratePerSecond.multipliedReportingOverflow(by: Int64(max(1, windowSeconds)))
        let tokens = burst.overflow ? Int64.max / Self.cost : burst.partialValue
        let scaled = tokens.multipliedReportingOverflow(by: Self.cost)
        capacity = scaled.overflow ? Int64.max : scaled.partialValue
        credit = capacity
    }

    /// Takes one request's credit if there is enough; false means "429, too many requests".
    mutating func admit(now: NIODeadline) -> Bool {
        refill(now: now)
        guard credit >= Self.cost else { return false }
        credit -= Self.cost
        return true
    }

    private mutating func refill(now: NIODeadline) {
        guard let lastRefill else {
            lastRefill = now
            return
        }
        guard now > lastRefill else { return }
        self.lastRefill = now
        let gained = (now - lastRefill).nanoseconds.multipliedReportingOverflow(by: ratePerSecond)
        if gained.overflow || gained.partialValue >= capacity - credit {
            credit = capacity
        } else {
            credit += gained.partialValue
        }
    }
}
