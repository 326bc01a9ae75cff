import Ledger

/// What a device's status topic says and means: its birth ("online") and will
/// ("offline") payloads, and whether each is retained.
public struct StatusVocabulary: Sendable, Hashable {
    public var online: String?
    public var onlineRetained: Bool
    public var offline: String?
    public var offlineRetained: Bool

    public init(online: String?, onlineRetained: Bool, offline: String?, offlineRetained: Bool) {
        self.online = online
        self.onlineRetained = onlineRetained
        self.offline = offline
        self.offlineRetained = offlineRetained
    }

    /// Only devices whose status is retained can be compared with their real state.
    public var isChecked: Bool { onlineRetained || offlineRetained }
}

/// The comparison of one device's retained status with its real state.
public struct StatusCheck: Codable, Sendable, Hashable {
    public enum Result: String, Codable, Sendable, Hashable, CaseIterable {
        /// The retained status agrees with the device's state.
        case matches
        /// The device is connected but its retained status says offline.
        case onlineButOffline
        /// The device is down but its retained status says online.
        case offlineButOnline
        /// The device is connected and no status was ever seen.
        case missing
        /// The status payload is neither the birth nor the will.
        case unrecognised
        /// The device is down and never published a status: nothing to compare.
        case notApplicable

        public var failed: Bool {
            switch self {
            case .onlineButOffline, .offlineButOnline, .missing, .unrecognised: true
            case .matches, .notApplicable: false
            }
        }
    }

    public var device: String
    public var online: Bool
    /// The last status payload considered, if any.
    public var status: String?
    public var result: Result
}

/// Compares every device's last retained status (birth / will) with its real state.
public enum RetainedStatusCheck {
    /// - Parameters:
    ///   - vocabulary: per client ID, its status payloads; devices without a retained
    ///     status are skipped.
    ///   - asOf: the moment whose state is compared (default: the `stop` step, else the
    ///     end of the run). Status messages up to then count; wills of endings before it
    ///     count up to their deadline; retained messages seen afterwards (a fresh
    ///     subscription's snapshot of the broker) count too and win.
    public static func check(
        _ events: [RunEvent], vocabulary: [String: StatusVocabulary], rules: WillRules, asOf: UInt64? = nil
    ) -> [StatusCheck] {
        let cutoff = asOf ?? defaultCutoff(events)
        let cases = WillVerdicts.cases(events, rules: rules)
        var checks: [StatusCheck] = []
        for (device, deviceEvents) in WillVerdicts.eventsByDevice(events) {
            guard let words = vocabulary[device], words.isChecked else { continue }
            let willHorizon = (cases[device] ?? []).filter { $0.injectedAt <= cutoff }.map(\.deadline).max() ?? cutoff
            var online = false
            var status: String?
            var snapshot: String?
            for event in deviceEvents {
                switch event.kind {
                case .connected where event.at <= cutoff:
                    online = true
                case .disconnected where event.at <= cutoff:
                    online = false
                case .faultInjected(let fault, _, _, _, _, _, _, _) where event.at <= cutoff:
                    if [.abrupt, .silent, .graceful, .gracefulWithWill].contains(fault) { online = false }
                case .statusReceived(_, let payload, let retained):
                    if event.at <= cutoff { status = payload } else if retained { snapshot = payload }
                case .willReceived(_, let payload, let retained, _):
                    if event.at <= max(cutoff, willHorizon) { status = payload }
                    if event.at > cutoff && retained { snapshot = payload }
                default:
                    continue
                }
            }
            let seen = snapshot ?? status
            checks.append(StatusCheck(device: device, online: online, status: seen,
                                      result: judge(online: online, status: seen, words: words)))
        }
        return checks
    }

    private static func judge(online: Bool, status: String?, words: StatusVocabulary) -> StatusCheck.Result {
        guard let status else { return online && words.onlineRetained ? .missing : .notApplicable }
        let saysOnline = status == words.online
        let saysOffline = status == words.offline
        switch (saysOnline, saysOffline) {
        case (true, _): return online ? .matches : .offlineButOnline
        case (false, true): return online ? .onlineButOffline : .matches
        case (false, false): return .unrecognised
        }
    }

    /// The `stop` step's time when there is one, else the run's last event.
    static func defaultCutoff(_ events: [RunEvent]) -> UInt64 {
        for event in events {
            if case .timelineStep(_, let action, _) = event.kind, action == "stop" { return event.at }
        }
        return events.map(\.at).max() ?? 0
    }
}
