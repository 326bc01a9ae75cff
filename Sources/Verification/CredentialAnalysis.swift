import Ledger

/// What the broker said to the devices' credentials: CONNECTs it refused, by device with the latest reason each
/// device was given (what it presented included, e.g. a SAS fault), and SAS token renewals.
public struct CredentialSection: Codable, Sendable, Hashable {
    /// CONNECTs refused with a CONNACK error, by device.
    public var refusedConnects = DeviceTally()
    /// The latest refusal reason of each device listed in `refusedConnects`.
    public var reasons: [String: String] = [:]
    /// Reconnects with a fresh SAS token before the old one expired (`tokenRenewed`).
    public var renewals = DeviceTally()

    public init() {}

    public static func + (lhs: CredentialSection, rhs: CredentialSection) -> CredentialSection {
        var sum = CredentialSection()
        sum.refusedConnects = lhs.refusedConnects + rhs.refusedConnects
        sum.renewals = lhs.renewals + rhs.renewals
        let listed = Set(sum.refusedConnects.top.map(\.device))
        sum.reasons = lhs.reasons.merging(rhs.reasons) { _, later in later }.filter { listed.contains($0.key) }
        return sum
    }
}

public enum CredentialAnalysis {
    /// The section, or nil when no CONNECT was refused and no token renewed.
    public static func analyze(_ events: [RunEvent]) -> CredentialSection? {
        var refused: [String: Int] = [:]
        var latest: [String: String] = [:]
        var renewed: [String: Int] = [:]
        var totals = (refused: 0, renewed: 0)
        for event in events {
            switch event.kind {
            case .connectFailed(.connack, let reason, _):
                totals.refused += 1
                if let device = event.device {
                    refused[device, default: 0] += 1
                    latest[device] = reason
                }
            case .tokenRenewed:
                totals.renewed += 1
                if let device = event.device { renewed[device, default: 0] += 1 }
            default:
                continue
            }
        }
        guard totals.refused + totals.renewed > 0 else { return nil }
        var section = CredentialSection()
        section.refusedConnects = DeviceTally(total: totals.refused, byDevice: refused)
        section.renewals = DeviceTally(total: totals.renewed, byDevice: renewed)
        let listed = Set(section.refusedConnects.top.map(\.device))
        section.reasons = latest.filter { listed.contains($0.key) }
        return section
    }
}
