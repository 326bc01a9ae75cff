/// Resolves a step's `Target` to devices, deterministically: the same plan (same seed) and the same step
/// select the same devices on every run; another seed selects others.
public struct DeviceSelector: Sendable {
    private let devices: [DevicePlan]
    private let seed: UInt64
    private let ordinalByClientID: [String: Int]

    public init(plan: Plan) {
        self.init(devices: plan.devices(), seed: plan.seed)
    }

    /// For callers that already hold `plan.devices()` (it is not free for large fleets).
    public init(devices: [DevicePlan], seed: UInt64) {
        self.devices = devices
        self.seed = seed
        var index: [String: Int] = [:]
        index.reserveCapacity(devices.count)
        for device in devices { index[device.clientID] = device.ordinal }
        ordinalByClientID = index
    }

    /// The ordinals (positions in `Plan.devices()`) of the selected devices, ascending.
    /// `step` is the step's index in the timeline; it makes each step's draw independent.
    /// IDs not in the plan are left out (the loader has already rejected them).
    public func select(_ target: Target, step: Int) -> [Int] {
        let population: [Int] = if let group = target.group {
            devices.lazy.filter { $0.group == group }.map(\.ordinal)
        } else {
            devices.map(\.ordinal)
        }
        switch target.selection {
        case .all:
            return population
        case .group(let name):
            return population.filter { devices[$0].group == name }
        case .ids(let ids):
            let allowed = Set(population)
            return ids.compactMap { ordinalByClientID[$0] }.filter { allowed.contains($0) }.sorted()
        case .count(let count):
            return draw(min(count, population.count), from: population, step: step)
        case .percent(let percent):
            return draw(Self.share(percent, of: population.count), from: population, step: step)
        }
    }

    /// The selected devices themselves.
    public func selectDevices(_ target: Target, step: Int) -> [DevicePlan] {
        select(target, step: step).map { devices[$0] }
    }

    /// How many devices `percent` of `population` means: rounded to nearest, at least one of a non-empty population.
    public static func share(_ percent: Double, of population: Int) -> Int {
        guard population > 0, percent > 0 else { return 0 }
        let exact = (Double(population) * percent / 100).rounded()
        return min(population, max(1, Int(exact)))
    }

    /// A partial Fisher–Yates shuffle seeded by (plan seed, step): k distinct members, returned ascending.
    private func draw(_ k: Int, from population: [Int], step: Int) -> [Int] {
        var pool = population
        var generator = SeededGenerator(seed: seed, stream: UInt64(truncatingIfNeeded: step))
        for position in 0..<k {
            let pick = Int.random(in: position..<pool.count, using: &generator)
            pool.swapAt(position, pick)
        }
        return pool[0..<k].sorted()
    }
}
