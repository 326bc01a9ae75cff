import DequeModule
import HeapModule
import NIOCore

/// The throttles and the lockout: a connect or message rate per client and in total, and the refusal of
/// every connect of a client ID after repeated failures. Mutated by the engine on its loop.
///
/// Rates are exact over a sliding one-second window: an event at `t` counts until `t + 1 s`. A client's
/// entry keeps the timestamps still inside its windows (at most `limit` per rate), and is forgotten once
/// every window it has is empty and no lockout runs. At most `maximumTrackedClients` entries exist: past
/// that, a connect of a client ID that has no entry is refused as `.rateExceeded` (the broker acts
/// overloaded rather than forget a lockout), while a message of such a client is admitted uncounted (a
/// storm must not cut off clients already connected).
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
        lockoutWindow = Self.amount(seconds: rules.lockout?.windowSeconds ?? 0)
        lockoutDuration = Self.amount(seconds: rules.lockout?.durationSeconds ?? 0)
        tracksConnects = rules.connectsPerClient != nil || rules.lockout != nil
        totalConnects = EventWindow(limit: rules.connectsTotal ?? 0)
    }

    /// Seconds as a time amount, clamped to 0…10⁹ s so that no deadline arithmetic can overflow.
    private static func amount(seconds: Double) -> TimeAmount {
        guard seconds.isFinite, seconds > 0 else { return .nanoseconds(0) }
        return .nanoseconds(Int64(min(seconds, 1e9) * 1e9))
    }

    /// Clients currently tracked (for tests and statistics).
    public var trackedClients: Int { clients.count }

    public mutating func admitConnect(clientID: String, now: NIODeadline) -> Decision {
        forgetIdleClients(now: now)
        guard tracksConnects else { return admitTotal(now: now) ? .admit : .rateExceeded }
        guard let index = entryIndex(clientID: clientID, now: now) else { return .rateExceeded }
        if let until = clients.values[index].lockedUntil, now < until { return .lockedOut(until: until) }
        if rules.connectsPerClient != nil, !clients.values[index].connects.hasRoom(now: now, span: Self.second) {
            return .rateExceeded
        }
        guard admitTotal(now: now) else { return .rateExceeded }
        if rules.connectsPerClient != nil { clients.values[index].connects.record(now) }
        return .admit
    }

    /// A CONNECT of `clientID` was refused (authentication, authorization, rate): counts towards lockout.
    /// Failures while locked out are not counted, so a lockout ends when its duration says.
    public mutating func recordFailure(clientID: String, now: NIODeadline) {
        guard rules.lockout != nil else { return }
        forgetIdleClients(now: now)
        guard let index = entryIndex(clientID: clientID, now: now) else { return }
        if let until = clients.values[index].lockedUntil, now < until { return }
        clients.values[index].lockedUntil = nil
        if clients.values[index].failures.hasRoom(now: now, span: lockoutWindow) {
            clients.values[index].failures.record(now)
        } else {
            clients.values[index].failures.removeAll()
            clients.values[index].lockedUntil = now + lockoutDuration
        }
    }

    /// false: the message exceeds the client's rate (DISCONNECT 0x96 / close).
    public mutating func admitMessage(clientID: String, now: NIODeadline) -> Bool {
        guard rules.messagesPerClient != nil else { return true }
        forgetIdleClients(now: now)
        guard let index = entryIndex(clientID: clientID, now: now) else { return true }
        guard clients.values[index].messages.hasRoom(now: now, span: Self.second) else { return false }
        clients.values[index].messages.record(now)
        return true
    }

    /// The total rate, counted only for connects that passed every per-client check.
    private mutating func admitTotal(now: NIODeadline) -> Bool {
        guard rules.connectsTotal != nil else { return true }
        guard totalConnects.hasRoom(now: now, span: Self.second) else { return false }
        totalConnects.record(now)
        return true
    }

    /// Where the client's entry is, creating it (and scheduling its review) if need be; nil when the table
    /// is full. Entries are then mutated in place, so a message costs no copy of its window.
    private mutating func entryIndex(clientID: String, now: NIODeadline) -> [Int: ClientWindows].Index? {
        let key = clientID.hashValue
        if let index = clients.index(forKey: key) { return index }
        guard clients.count < maximumTrackedClients else { return nil }
        clients[key] = ClientWindows(connects: EventWindow(limit: rules.connectsPerClient ?? 0),
                                     messages: EventWindow(limit: rules.messagesPerClient ?? 0),
                                     failures: EventWindow(limit: max(0, (rules.lockout?.failures ?? 1) - 1)))
        reviews.insert(Review(at: now + Self.second, key: key))
        return clients.index(forKey: key)
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

/// The events of one kind still inside their window, at most `limit` of them: memory follows the rate a
/// client actually reaches, never more than its limit.
private struct EventWindow: Sendable {
    private var times = Deque<NIODeadline>()
    /// That many events inside the window leave no room for another.
    private let limit: Int

    init(limit: Int) { self.limit = max(0, limit) }

    var newest: NIODeadline? { times.last }

    /// Fewer than `limit` events happened in `(now - span, now]`; forgets the ones before.
    mutating func hasRoom(now: NIODeadline, span: TimeAmount) -> Bool {
        while let oldest = times.first, oldest + span <= now { times.removeFirst() }
        return times.count < limit
    }

    mutating func record(_ time: NIODeadline) {
        guard limit > 0 else { return }
        times.append(time)
    }

    mutating func removeAll() { times.removeAll() }
}
