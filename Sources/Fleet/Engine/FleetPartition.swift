/// The share of a plan's devices one process drives when a run is split over several processes
/// (`fleet run --processes N`), each with its own open-file limit.
///
/// Devices are dealt round robin by ordinal (`index`, `index + count`, …), so every group and every
/// ramp is spread evenly; timeline selections are still drawn over the whole plan, so a seed picks
/// the same devices however the run is split.
public struct FleetPartition: Sendable, Hashable, CustomStringConvertible {
    /// 0-based.
    public let index: Int
    public let count: Int

    /// One process drives every device.
    public static let whole = FleetPartition(index: 0, count: 1)

    public init(index: Int, count: Int) {
        precondition(count >= 1 && (0..<count).contains(index), "partition \(index) of \(count)")
        self.index = index
        self.count = count
    }

    public func owns(_ ordinal: Int) -> Bool { ordinal % count == index }

    /// The ordinals of the devices this partition drives, of a plan with `total` devices.
    public func ordinals(of total: Int) -> StrideTo<Int> { stride(from: index, to: total, by: count) }

    /// How many of `total` devices this partition drives.
    public func share(of total: Int) -> Int { total > index ? (total - index + count - 1) / count : 0 }

    /// Position of an owned `ordinal` among this partition's devices.
    func position(of ordinal: Int) -> Int { ordinal / count }

    /// The ordinal of this partition's device at `position` (the inverse of `position(of:)`).
    public func ordinal(at position: Int) -> Int { index + position * count }

    /// The partition that sends plan-wide messages (a `publish` step that names no device), once.
    public var isLead: Bool { index == 0 }

    /// `2/3` for the second of three (1-based, as the command line writes it).
    public var description: String { "\(index + 1)/\(count)" }
}
