import Ledger
import NIOConcurrencyHelpers

/// Passes the observers' events on to the ledger and counts the wills among them, so a live view
/// (the progress line, Prometheus) can show wills as they arrive without reading the ledger.
final class WillTally: RunEventSink {
    private let ledger: any RunEventSink
    private let wills = NIOLockedValueBox<UInt64>(0)

    init(ledger: any RunEventSink) {
        self.ledger = ledger
    }

    func record(_ event: RunEvent) {
        if case .willReceived = event.kind { wills.withLockedValue { $0 += 1 } }
        ledger.record(event)
    }

    var count: UInt64 { wills.withLockedValue { $0 } }
}
