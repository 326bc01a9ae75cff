import Scenario

/// What observers need to know about the devices, built once from the plan and
/// shared read-only by every observer connection.
public final class ObserverRoster: Sendable {
    /// Topic → device and role.
    public let directory: TopicDirectory
    /// Client IDs by device ordinal (the ledger names devices by client ID).
    public let clientIDs: [String]
    /// Each device's will payload, to tell a will from a birth on a shared status topic.
    public let willPayloads: [String?]
    /// Each device's birth payload ("online").
    public let birthPayloads: [String?]
    /// Reader index per device (groups may carry their numbers differently); -1 = none.
    let readerIndex: [Int]
    let readers: [TelemetryReader]
    /// Where every device's sequence starts after a boot.
    public let firstSequence: UInt64
    /// Each device's telemetry topic, by ordinal.
    let telemetryTopics: [String?]
    /// Will, birth and reply topics of all devices, deduplicated, in device order.
    let statusTopics: [String]

    /// Builds the roster for `plan.devices()`.
    public convenience init(plan: Plan) {
        self.init(devices: plan.devices())
    }

    public init(devices: [DevicePlan], firstSequence: UInt64 = 0) {
        var registrations: [TopicDirectory.Registration] = []
        var readers: [TelemetryReader] = []
        var known: [TelemetryReader: Int] = [:]
        var readerIndex: [Int] = []
        registrations.reserveCapacity(devices.count * 3)
        readerIndex.reserveCapacity(devices.count)
        for device in devices {
            var index = -1
            if let telemetry = device.telemetry {
                registrations.append(.init(topic: telemetry.topic, device: device.ordinal, roles: .telemetry))
                if let reader = TelemetryReader(telemetry: telemetry) {
                    index = known[reader] ?? readers.count
                    if index == readers.count {
                        readers.append(reader)
                        known[reader] = index
                    }
                }
            }
            readerIndex.append(index)
            if let will = device.will {
                registrations.append(.init(topic: will.topic, device: device.ordinal, roles: .will))
            }
            if let birth = device.birth {
                registrations.append(.init(topic: birth.topic, device: device.ordinal, roles: .status))
            }
            for response in device.respond {
                registrations.append(.init(topic: response.topic, device: device.ordinal, roles: .reply))
            }
        }
        directory = TopicDirectory(registrations)
        clientIDs = devices.map(\.clientID)
        willPayloads = devices.map { $0.will?.payload }
        birthPayloads = devices.map { $0.birth?.payload }
        self.readerIndex = readerIndex
        self.readers = readers
        self.firstSequence = firstSequence
        telemetryTopics = devices.map { $0.telemetry?.topic }
        var seen: Set<String> = []
        statusTopics = devices.flatMap { [$0.will?.topic, $0.birth?.topic].compactMap { $0 } + $0.respond.map(\.topic) }
            .filter { seen.insert($0).inserted }
    }

    /// The exact topics observer `index` of `count` should subscribe to so that loss
    /// counting stays exact: each device's telemetry goes to exactly one observer
    /// (devices dealt round robin by ordinal), and every will and status topic to
    /// observer 0 only (a will seen twice would count as duplicated).
    public func subscriptions(observer index: Int, of count: Int) -> [String] {
        precondition(count > 0 && index >= 0 && index < count, "observer \(index) of \(count)")
        var topics: [String] = []
        for ordinal in stride(from: index, to: telemetryTopics.count, by: count) {
            if let topic = telemetryTopics[ordinal] { topics.append(topic) }
        }
        return index == 0 ? topics + statusTopics : topics
    }

    /// Number of devices.
    public var deviceCount: Int { clientIDs.count }

    /// How to read `device`'s telemetry, if it carries a sequence.
    public func reader(for device: Int) -> TelemetryReader? {
        let index = readerIndex[device]
        return index < 0 ? nil : readers[index]
    }
}
