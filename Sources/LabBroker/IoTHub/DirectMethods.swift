import DequeModule
import HeapModule
import NIOCore

/// How one direct method call ended, as the operator reads it.
public struct DirectMethodCompletion: Sendable, Hashable {
    public enum Outcome: Sendable, Hashable {
        /// The device answered on `$iothub/methods/res/{status}/?$rid=` with a JSON or empty body.
        case responded(status: Int, payload: ByteBuffer)
        /// The device answered with a body that is not JSON (IoT Hub requires "a valid JSON or empty body").
        case malformedResponse(status: Int)
        /// No answer before the call's timeout.
        case timedOut
    }

    public var requestID: String
    public var deviceID: String
    public var methodName: String
    public var outcome: Outcome
    public var calledAt: NIODeadline
    /// When the response arrived; for a timeout, the deadline itself (independent of when it was noticed).
    public var completedAt: NIODeadline

    public var roundTrip: TimeAmount { completedAt - calledAt }
}

/// Direct method calls awaiting the device's response, and the completions the operator has not taken.
/// Both bounded; timeouts are decided only from the `now` the caller passes.
struct DirectMethodTable: Sendable {
    private struct Pending: Sendable {
        var deviceID: String
        var methodName: String
        var calledAt: NIODeadline
        var deadline: NIODeadline
    }

    private struct Expiry: Comparable, Sendable {
        var deadline: NIODeadline
        var requestID: UInt64

        static func < (lhs: Expiry, rhs: Expiry) -> Bool {
            (lhs.deadline, lhs.requestID) < (rhs.deadline, rhs.requestID)
        }
    }

    private let pendingLimit: Int
    private let completedLimit: Int
    private var pending: [UInt64: Pending] = [:]
    /// Every pending call's deadline; entries of calls already answered are skipped when they surface and
    /// compacted away when they outnumber the live ones.
    private var expiries = Heap<Expiry>()
    private var lastRequestID: UInt64 = 0
    private(set) var completed = Deque<DirectMethodCompletion>()
    /// Completions dropped because the operator did not take them in time.
    private(set) var droppedCompletions = 0
    /// Responses whose `$rid` matched no pending call of that device (unknown, late or another device's).
    private(set) var unmatchedResponses = 0

    init(pendingLimit: Int, completedLimit: Int) {
        self.pendingLimit = max(1, pendingLimit)
        self.completedLimit = max(1, completedLimit)
    }

    var pendingCount: Int { pending.count }

    var nextDeadline: NIODeadline? {
        mutating get {
            discardAnsweredExpiries()
            return expiries.min?.deadline
        }
    }

    /// Registers a call; nil when `pendingLimit` calls are already pending. The request ID is a decimal
    /// counter, unique for the endpoint's life.
    mutating func register(deviceID: String, methodName: String, now: NIODeadline, timeout: TimeAmount) -> String? {
        expire(now: now)
        guard pending.count < pendingLimit else { return nil }
        lastRequestID += 1
        let deadline = now + timeout
        pending[lastRequestID] = Pending(deviceID: deviceID, methodName: methodName, calledAt: now, deadline: deadline)
        expiries.insert(Expiry(deadline: deadline, requestID: lastRequestID))
        return String(lastRequestID)
    }

    /// A device's response. Recorded only when `requestID` is pending for that same device and its
    /// deadline has not passed; otherwise counted as unmatched.
    mutating func complete(requestID: Substring, from deviceID: String, status: Int, payload: ByteBuffer, now: NIODeadline) {
        expire(now: now)
        guard let id = UInt64(requestID), String(id) == requestID,
            let call = pending[id], call.deviceID == deviceID
        else {
            unmatchedResponses += 1
            return
        }
        pending[id] = nil
        let outcome: DirectMethodCompletion.Outcome =
            payload.readableBytes == 0 || TwinValue.isJSON(payload)
            ? .responded(status: status, payload: payload) : .malformedResponse(status: status)
        record(id: id, call: call, outcome: outcome, at: now)
        compactIfNeeded()
    }

    /// Ends, as timed out, every call whose deadline is at or before `now`, in deadline order.
    mutating func expire(now: NIODeadline) {
        while let next = expiries.min, next.deadline <= now {
            expiries.removeMin()
            guard let call = pending.removeValue(forKey: next.requestID) else { continue }
            record(id: next.requestID, call: call, outcome: .timedOut, at: call.deadline)
        }
    }

    mutating func takeCompleted() -> [DirectMethodCompletion] {
        defer { completed.removeAll(keepingCapacity: true) }
        return Array(completed)
    }

    private mutating func record(id: UInt64, call: Pending, outcome: DirectMethodCompletion.Outcome, at time: NIODeadline) {
        if completed.count == completedLimit {
            completed.removeFirst()
            droppedCompletions += 1
        }
        completed.append(DirectMethodCompletion(
            requestID: String(id), deviceID: call.deviceID, methodName: call.methodName, outcome: outcome,
            calledAt: call.calledAt, completedAt: time))
    }

    private mutating func discardAnsweredExpiries() {
        while let next = expiries.min, pending[next.requestID] == nil {
            expiries.removeMin()
        }
    }

    /// Keeps the heap within twice the pending calls, so answered calls cannot grow it without bound.
    private mutating func compactIfNeeded() {
        guard expiries.count > 2 * pending.count + 16 else { return }
        expiries = Heap(pending.map { Expiry(deadline: $0.value.deadline, requestID: $0.key) })
    }
}
