/// One thing that happened during a run, in the run's own monotonic time.
///
/// Events are the single vocabulary shared by the engine (which writes them) and
/// the verdicts and reports (which read them), so no layer needs another's types.
/// One event is one JSON object on one line of the ledger file.
public struct RunEvent: Codable, Sendable, Hashable {
    /// Nanoseconds since the run started (see ``RunClock``).
    public var at: UInt64
    /// The client ID the event concerns, or nil for run-wide events.
    public var device: String?
    /// What happened.
    public var kind: RunEventKind

    public init(at: UInt64, device: String? = nil, kind: RunEventKind) {
        self.at = at
        self.device = device
        self.kind = kind
    }
}
