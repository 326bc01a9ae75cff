import HeapModule
import NIOCore

/// The throttles and the lockout: a connect or message rate per client and in total, and the refusal of
/// every connect of a client ID after repeated failures. Mutated by the engine on its loop.
///
/// Rates are exact over a sliding one-second window: an event at `t` counts until `t + 1 s`. A client's
/// entry keeps at most `limit` timestamps per rate, and is forgotten once every window it has is empty and
/// no lockout runs. At most `maximumTrackedClients` entries exist: past that, a connect of a client ID
/// that has no entry is refused as `.rateExceeded` (the broker acts overloaded rather than forget a
/// lockout), while a message of such a client is admitted uncounted (a storm must not cut off clients
/// already connected).
public struct ConnectAdmission: Sendable {
    public enum Decision: Sendable, Hashable {
        case admit
        /// CONNACK 0x9F (MQTT 5) or a close (3.1.1).
        case rateExceeded
        /// CONNACK 0x8A banned / 3.1.1 return code 0x05, until the lockout ends.
        case lockedOut(until: NIODeadline)
    }

    public static let defaultMaximumTrackedClients = 131_072

    public let rules: ThrottleRules
    public let maximumTrackedClients: Int
    private static let second = TimeAmount.seconds(1)
    private let lockoutWindow: TimeAmount
    private let lockoutDuration: TimeAmount
    /// Whether connects need a per-client entry (a per-client rate or a lockout).
    private let tracksConnects: Bool

    /// Keyed by the client ID's hash (`Hasher`, seeded per process) so that an entry costs the same
    /// whatever the ID's length; two IDs colliding would share limits (odds ≈ n²/2⁶⁵).
    private var clients: [Int: ClientWindows] = [:]
    /// When to look at an entry again: every entry has exactly one record here.
    private var reviews = Heap<Review>()
    private var totalConnects: EventWindow

    public init(rules: ThrottleRules, maximumTrackedClients: Int = ConnectAdmission.defaultMaximumTrackedClients) {
        self.rules = rules
        self.maximumTrackedClients = max(0, maximumTrackedClients)
        lockoutWindow = .nanoseconds(Int64((rules.lockout?.windowSeconds ?? 0) * 1e9))
        lockoutDuration = .nanoseconds(Int64((rules.lockout?.durationSeconds ?? 0) * 1e9))
        tracksConnects = rules.connectsPerClient != nil || rules.lockout != nil
        totalConnects = EventWindow(limit: rules.connectsTotal ?? 0)
    }

    /// Clients currently tracked (for tests and statistics).
    public var trackedClients: Int { clients.count }

    public mutating func admitConnect(clientID: String, now: NIODeadline) -> Decision {
        forgetIdleClients(now: now)
        guard tracksConnects else { return admitTotal(now: now) ? .admit : .rateExceeded }
        let key = clientID.hashValue
        guard var entry = clients[key] ?? newEntry(key: key, now: now) else { return .rateExceeded }
        defer { clients[key] = entry }
        if let until = entry.lockedUntil, now < until { return .lockedOut(until: until) }
        if rules.connectsPerClient != nil, !entry.connects.hasRoom(now: now, span: Self.second) {
            return .rateExceeded
        }
        guard admitTotal(now: now) else { return .rateExceeded }
        if rules.connectsPerClient != nil { entry.connects.record(now) }
        return .admit
    }

    /// A CONNECT of `clientID` was refused (authentication, authorization, rate): counts towards lockout.
    /// Failures while locked out are not counted, so a lockout ends when its duration says.
    public mutating func recordFailure(clientID: String, now: NIODeadline) {
        guard rules.lockout != nil else { return }
        forgetIdleClients(now: now)
        let key = clientID.hashValue
        guard var entry = clients[key] ?? newEntry(key: key, now: now) else { return }
        if let until = entry.lockedUntil, now < until { return }
        entry.lockedUntil = nil
        if entry.failures.hasRoom(now: now, span: lockoutWindow) {
            entry.failures.record(now)
        } else {
            entry.failures.removeAll()
            entry.lockedUntil = now + lockoutDuration
        }
        clients[key] = entry
    }

    /// false: the message exceeds the client's rate (DISCONNECT 0x96 / close).
    public mutating func admitMessage(clientID: String, now: NIODeadline) -> Bool {
        guard rules.messagesPerClient != nil else { return true }
        forgetIdleClients(now: now)
        let key = clientID.hashValue
        guard var entry = clients[key] ?? newEntry(key: key, now: now) else { return true }
        let allowed = entry.messages.hasRoom(now: now, span: Self.second)
        if allowed { entry.messages.record(now) }
        clients[key] = entry
        return allowed
    }

    /// The total rate, counted only for connects that passed every per-client check.
    private mutating func admitTotal(now: NIODeadline) -> Bool {
        guard rules.connectsTotal != nil else { return true }
        guard totalConnects.hasRoom(now: now, span: Self.second) else { return false }
        totalConnects.record(now)
        return true
    }

    /// An empty entry with its review scheduled; nil when the table is full.
    private mutating func newEntry(key: Int, now: NIODeadline) -> ClientWindows? {
        guard clients.count < maximumTrackedClients else { return nil }
        reviews.insert(Review(at: now + Self.second, key: key))
        return ClientWindows(connects: EventWindow(limit: rules.connectsPerClient ?? 0),
                             messages: EventWindow(limit: rules.messagesPerClient ?? 0),
                             failures: EventWindow(limit: max(0, (rules.lockout?.failures ?? 1) - 1)))
    }

    /// Drops entries whose windows have all emptied; an entry still in use is reviewed again when its
    /// last event leaves its window. Amortised O(log n) per event.
    private mutating func forgetIdleClients(now: NIODeadline) {
        while let next = reviews.min, next.at <= now {
            reviews.removeMin()
            guard let entry = clients[next.key] else { continue }
            let busyUntil = entry.busyUntil(second: Self.second, lockoutWindow: lockoutWindow)
            if busyUntil <= now {
                clients[next.key] = nil
            } else {
                reviews.insert(Review(at: busyUntil, key: next.key))
            }
        }
    }
}

private struct Review: Comparable, Sendable {
    var at: NIODeadline
    var key: Int
    static func < (lhs: Review, rhs: Review) -> Bool { lhs.at < rhs.at }
}

/// One client ID's recent events.
private struct ClientWindows: Sendable {
    var connects: EventWindow
    var messages: EventWindow
    var failures: EventWindow
    var lockedUntil: NIODeadline?

    /// When every window will be empty and any lockout over.
    func busyUntil(second: TimeAmount, lockoutWindow: TimeAmount) -> NIODeadline {
        var until = NIODeadline.uptimeNanoseconds(0)
        if let newest = connects.newest { until = max(until, newest + second) }
        if let newest = messages.newest { until = max(until, newest + second) }
        if let newest = failures.newest { until = max(until, newest + lockoutWindow) }
        if let locked = lockedUntil { until = max(until, locked) }
        return until
    }
}

/// The newest events of one kind, at most `limit` of them: enough to tell whether `limit` of them fall
/// inside the window ending now. A ring, so recording never shifts.
private struct EventWindow: Sendable {
    private var times: [NIODeadline] = []
    private var head = 0
    /// The limit: that many events inside the window leave no room for another.
    private let capacity: Int

    init(limit: Int) { capacity = max(0, limit) }

    var newest: NIODeadline? {
        guard !times.isEmpty else { return nil }
        return times[(head + times.count - 1) % times.count]
    }

    /// Fewer than `limit` events happened in `(now - span, now]`.
    func hasRoom(now: NIODeadline, span: TimeAmount) -> Bool {
        guard capacity > 0 else { return false }
        guard times.count == capacity else { return true }
        // The ring is full: the oldest kept event decides.
        return times[head] + span <= now
    }

    mutating func record(_ time: NIODeadline) {
        guard capacity > 0 else { return }
        if times.count < capacity {
            times.append(time)
        } else {
            times[head] = time
            head = (head + 1) % capacity
        }
    }

    mutating func removeAll() {
        times.removeAll()
        head = 0
    }
}
