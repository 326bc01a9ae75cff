import Foundation

/// Keeps run events in memory: for tests, and for runs that want verdicts without
/// re-reading the ledger file.
public final class RunEventCollector: RunEventSink, @unchecked Sendable {
    // @unchecked: `stored` is guarded by `lock`.
    private let lock = NSLock()
    private var stored: [RunEvent] = []

    public init() {}

    public func record(_ event: RunEvent) {
        lock.lock()
        stored.append(event)
        lock.unlock()
    }

    /// Everything recorded so far, in arrival order.
    public var events: [RunEvent] {
        lock.lock()
        defer { lock.unlock() }
        return stored
    }
}
