import Ledger
import NIOCore

/// Carries out `iothub` steps through a `CloudServiceOperator`, confined to one event loop.
///
/// A step's requests go out together, steps in order; each becomes a `cloudMessage` fault on its device
/// once the hub has said what it did (at the moment the step's requests were sent). Each direct method call's end becomes a
/// `methodCompleted` event, timed from that same moment plus the hub's round trip. Completions are taken
/// every `pollInterval` while calls are pending (the hub keeps a bounded number for its operator) and once
/// more at `finish`. Sends and polls are chained, so a completion is never taken before its call is logged.
final class CloudOperations {
    static let pollInterval = TimeAmount.seconds(1)

    private let eventLoop: any EventLoop
    private let cloud: any CloudServiceOperator
    private let sink: any RunEventSink
    private let clock: RunClock
    private var tail: EventLoopFuture<Void>
    /// Run time each pending method call was made at, by `$rid`.
    private var calledAt: [String: UInt64] = [:]
    private var poll: Scheduled<Void>?
    private var finished = false
    /// Requests handed to the hub so far (counted as traffic, apart from faults).
    private(set) var requestsSent = 0

    init(eventLoop: any EventLoop, cloud: any CloudServiceOperator, sink: any RunEventSink, clock: RunClock) {
        self.eventLoop = eventLoop
        self.cloud = cloud
        self.sink = sink
        self.clock = clock
        tail = eventLoop.makeSucceededVoidFuture()
    }

    /// Sends `requests` after everything sent before. Ignored once `finish` was called.
    func send(_ requests: [CloudRequest]) {
        guard !finished, !requests.isEmpty else { return }
        requestsSent += requests.count
        let (cloud, clock, eventLoop) = (cloud, clock, eventLoop)
        tail = tail.flatMap {
            eventLoop.makeFutureWithTask { await Self.deliver(requests, via: cloud, clock: clock) }
        }.assumeIsolated().map { sent in
            for item in sent { self.record(item) }
            self.schedulePoll()
        }.nonisolated()
    }

    /// Takes the last completions once everything sent has been logged; later sends are ignored. Idempotent.
    func finish() -> EventLoopFuture<Void> {
        guard !finished else { return tail }
        finished = true
        poll?.cancel()
        poll = nil
        takeCompletions()
        return tail
    }

    /// Calls pending at the hub, as far as this run knows.
    var pendingMethodCalls: Int { calledAt.count }

    private struct Sent: Sendable {
        var at: UInt64
        var request: CloudRequest
        var result: Result<CloudDelivery, CloudRequestRefused>
    }

    /// One call for the whole batch: the hub sends it in one go, at one moment.
    private static func deliver(_ requests: [CloudRequest], via cloud: any CloudServiceOperator, clock: RunClock) async -> [Sent] {
        let at = clock.now()
        let results = await cloud.send(requests)
        return zip(requests, results).map { Sent(at: at, request: $0, result: $1) }
            + requests.dropFirst(results.count).map {
                Sent(at: at, request: $0, result: .failure(CloudRequestRefused("the hub gave no answer for it")))
            }
    }

    private func record(_ sent: Sent) {
        let detail: CloudMessageDetail
        switch sent.result {
        case .success(let delivery):
            detail = CloudMessageDetail(kind: sent.request.kind, subject: delivery.topic,
                                        outcome: delivery.delivered ? .delivered : .notDelivered)
            if let requestID = delivery.requestID { calledAt[requestID] = sent.at }
        case .failure(let refused):
            detail = CloudMessageDetail(kind: sent.request.kind, subject: sent.request.summary, outcome: .refused(refused.reason))
        }
        sink.record(RunEvent(at: sent.at, device: sent.request.deviceID,
                             kind: .faultInjected(fault: .cloudMessage, detail: detail.text)))
    }

    private func schedulePoll() {
        guard poll == nil, !finished, !calledAt.isEmpty else { return }
        poll = eventLoop.assumeIsolated().scheduleTask(in: Self.pollInterval) {
            self.poll = nil
            self.takeCompletions()
        }
    }

    private func takeCompletions() {
        let cloud = cloud
        let eventLoop = eventLoop
        tail = tail.flatMap {
            eventLoop.makeFutureWithTask { await cloud.takeMethodCompletions() }
        }.assumeIsolated().map { completions in
            for completion in completions { self.record(completion) }
            self.schedulePoll()
        }.nonisolated()
    }

    private func record(_ completion: CloudMethodCompletion) {
        let roundTrip = UInt64(clamping: TimeAmount(completion.roundTrip).nanoseconds)
        let at = calledAt.removeValue(forKey: completion.requestID).map { $0 + roundTrip } ?? clock.now()
        let (outcome, status): (MethodOutcome, Int?) = switch completion.outcome {
        case .answered(let status): (.answered, status)
        case .malformed(let status): (.malformed, status)
        case .timedOut: (.timedOut, nil)
        }
        sink.record(RunEvent(at: at, device: completion.deviceID, kind: .methodCompleted(
            method: completion.method, requestID: completion.requestID, outcome: outcome, status: status,
            roundTripNs: roundTrip)))
    }
}
