import Ledger
import Scenario

/// The device side of IoT Hub's twin over MQTT (seed 002), as a value driven by its device: after the
/// subscriptions are granted it reads the twin (`$iothub/twin/GET/?$rid={n}`) and patches its reported
/// properties (`$iothub/twin/PATCH/properties/reported/?$rid={n}`), again every `report.every`, each with the next
/// request ID, and matches the hub's answers on `$iothub/twin/res/{status}/?$rid={n}` to what it asked, timed on
/// the run clock (nanoseconds, passed in).
struct DeviceTwinClient {
    struct Request: Equatable {
        var operation: TwinOperation
        var topic: String
        var requestID: String
        /// Which of the device's patches this is (`{sequence}` in the payload); 0 for a GET.
        var reportNumber: UInt64
    }

    enum Action: Equatable {
        case send(Request)
        /// Call `reportDue` after this long, on the same connection.
        case scheduleReport(Duration)
        case answered(operation: TwinOperation, requestID: String, status: Int, roundTripNs: UInt64)
    }

    /// A hub that never answers must not grow a device without bound: past this many requests in flight the
    /// oldest is forgotten (it stays unanswered in the ledger).
    static let maximumPending = 64
    static let responsePrefix = "$iothub/twin/res/"

    let spec: TwinSpec
    /// Request IDs increase over the device's life, across connections, from 1.
    private var nextRequestID: UInt64 = 1
    private var reportsSent: UInt64 = 0
    private var pending: [(requestID: String, operation: TwinOperation, sentAt: UInt64)] = []

    init(spec: TwinSpec) {
        self.spec = spec
    }

    var pendingCount: Int { pending.count }

    /// The connection's subscriptions were granted: what the SDKs do on connecting.
    mutating func subscribed(now: UInt64) -> [Action] {
        var actions: [Action] = []
        if spec.getOnConnect { actions.append(.send(request(.get, now: now))) }
        if let report = spec.report {
            actions.append(.send(request(.report, now: now)))
            if let every = report.every { actions.append(.scheduleReport(every)) }
        }
        return actions
    }

    /// The report timer fired on a connection that is still up.
    mutating func reportDue(now: UInt64) -> [Action] {
        guard let every = spec.report?.every else { return [] }
        return [.send(request(.report, now: now)), .scheduleReport(every)]
    }

    /// A message on the device's subscriptions: the answer to one of its requests, or nothing for the twin.
    mutating func received(topic: String, now: UInt64) -> Action? {
        guard let status = Self.status(in: topic), let requestID = DeviceResponse.requestID(in: topic),
              let index = pending.firstIndex(where: { $0.requestID == requestID }) else { return nil }
        let request = pending.remove(at: index)
        return .answered(operation: request.operation, requestID: request.requestID, status: status,
                         roundTripNs: now >= request.sentAt ? now - request.sentAt : 0)
    }

    /// Answers cannot arrive on another connection's subscriptions: what was in flight stays unanswered.
    mutating func connectionLost() {
        pending.removeAll(keepingCapacity: true)
    }

    private mutating func request(_ operation: TwinOperation, now: UInt64) -> Request {
        let requestID = String(nextRequestID)
        nextRequestID &+= 1
        if pending.count >= Self.maximumPending { pending.removeFirst() }
        pending.append((requestID, operation, now))
        switch operation {
        case .get:
            return Request(operation: .get, topic: "$iothub/twin/GET/?$rid=\(requestID)", requestID: requestID, reportNumber: 0)
        case .report:
            defer { reportsSent &+= 1 }
            return Request(operation: .report, topic: "$iothub/twin/PATCH/properties/reported/?$rid=\(requestID)",
                           requestID: requestID, reportNumber: reportsSent)
        }
    }

    /// The status level of `$iothub/twin/res/{status}/?…`; nil for any other topic.
    static func status(in topic: String) -> Int? {
        guard topic.hasPrefix(responsePrefix) else { return nil }
        let level = topic.dropFirst(responsePrefix.count).prefix { $0 != "/" }
        guard !level.isEmpty, level.count <= 3, level.allSatisfy({ ("0"..."9").contains($0) }) else { return nil }
        return Int(level)
    }
}
