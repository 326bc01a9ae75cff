/// How a device's own link misbehaves: a bandwidth cap, added latency with jitter, or a full stall.
/// Applied by `LinkShapingHandler` inside the device's pipeline, next to the socket, so it shapes the
/// bytes on the wire (after TLS) without a proxy.
public struct LinkShape: Sendable, Hashable {
    /// Bits per second the device may send; nil = unlimited.
    public var bandwidthBitsPerSecond: Int?
    /// Added one-way delay on what the device sends.
    public var latency: Duration
    /// Each write's delay is `latency ± jitter` (uniform), never reordering writes.
    public var jitter: Duration
    /// Nothing moves in either direction until the stall ends.
    public var stalled: Bool

    public init(bandwidthBitsPerSecond: Int? = nil, latency: Duration = .zero, jitter: Duration = .zero, stalled: Bool = false) {
        self.bandwidthBitsPerSecond = bandwidthBitsPerSecond
        self.latency = latency
        self.jitter = jitter
        self.stalled = stalled
    }

    /// A link that passes everything through at once.
    public static let unshaped = LinkShape()

    public var isUnshaped: Bool { self == .unshaped }
}
