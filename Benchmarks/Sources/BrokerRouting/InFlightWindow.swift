import NIOCore

/// Closed-loop pacing shared by every connection of the load (all on one loop): publishers write only
/// while fewer than `limit` messages are on their way (published × subscribers − delivered). The broker
/// then always has work queued, yet nothing piles up in socket buffers or broker queues, so no broker is
/// pushed into its overload policy (mosquitto drops QoS 0 beyond 1,000 queued packets per client, the lab
/// broker beyond 1 MiB) and what is measured is the rate it routes at. `limit` 0: no window (flat out).
///
/// A broker that drops messages anyway would leave the window full for ever: when nothing has arrived
/// for `stallNanoseconds` while the window is full, what is outstanding is written off as lost and
/// publishing resumes.
final class InFlightWindow {
    let limit: UInt64
    let subscribers: UInt64
    private(set) var published: UInt64 = 0
    private(set) var delivered: UInt64 = 0
    /// Messages written off after a stall (the broker dropped them).
    private(set) var writtenOff: UInt64 = 0
    private(set) var stalls = 0
    private var parked: [BenchClient] = []
    private var lastDeliveryNs: UInt64 = 0
    static let stallNanoseconds: UInt64 = 500_000_000

    init(limit: UInt64, subscribers: Int) {
        self.limit = limit
        self.subscribers = UInt64(subscribers)
    }

    private var outstanding: UInt64 {
        let expected = published * subscribers
        let accounted = delivered + writtenOff
        return expected > accounted ? expected - accounted : 0
    }

    var hasCredit: Bool { limit == 0 || outstanding < limit }

    func didPublish(_ count: Int) { published &+= UInt64(count) }

    /// A publisher out of credit waits here until deliveries make room.
    func park(_ publisher: BenchClient) {
        if !parked.contains(where: { $0 === publisher }) { parked.append(publisher) }
    }

    func didDeliver(_ count: UInt64, atNs now: UInt64) {
        delivered &+= count
        lastDeliveryNs = now
        resumeIfRoom()
    }

    /// Called every few milliseconds: writes off a full window that has stopped moving.
    func tick(atNs now: UInt64) {
        if limit > 0, outstanding >= limit, now - lastDeliveryNs >= Self.stallNanoseconds {
            writtenOff &+= outstanding
            stalls += 1
            lastDeliveryNs = now
            resumeIfRoom()
        }
    }

    /// Resumes parked publishers once a quarter of the window is free (not on every delivery, so that
    /// publishers write batches rather than single messages).
    private func resumeIfRoom() {
        guard !parked.isEmpty, limit == 0 || outstanding <= limit - limit / 4 else { return }
        let resuming = parked
        parked.removeAll(keepingCapacity: true)
        for publisher in resuming { publisher.resume() }
    }
}
