/// Anything that takes run events: the ledger file, or a collector in tests.
///
/// `record` is called from any event loop, so implementations must be cheap and
/// thread-safe; they must not block on I/O per event.
public protocol RunEventSink: Sendable {
    func record(_ event: RunEvent)
}
