import Foundation

/// When a certificate is valid: not-before and not-after.
///
/// New certificates start a few minutes in the past so that a device or broker whose clock runs a
/// little behind (the seeds' devices sync with NTP only after boot) still accepts them.
public struct ValidityPeriod: Sendable, Hashable {
    public var notBefore: Date
    public var notAfter: Date

    /// How far back a fresh certificate's not-before is set.
    public static let clockSkewAllowance: TimeInterval = 5 * 60

    public init(notBefore: Date, notAfter: Date) {
        self.notBefore = notBefore
        self.notAfter = notAfter
    }

    /// Valid from just before `now` for `days` days.
    public static func days(_ days: Int, from now: Date) throws -> ValidityPeriod {
        guard days >= 1 else { throw PKIError.invalidValidityDays(days) }
        return ValidityPeriod(
            notBefore: now.addingTimeInterval(-clockSkewAllowance),
            notAfter: now.addingTimeInterval(TimeInterval(days) * 86_400)
        )
    }

    /// The same length of validity, but over by `now`: it ended a day ago.
    public func expired(at now: Date) -> ValidityPeriod {
        let length = notAfter.timeIntervalSince(notBefore)
        let end = now.addingTimeInterval(-86_400)
        return ValidityPeriod(notBefore: end.addingTimeInterval(-length), notAfter: end)
    }

    /// The same length of validity, but starting a day after `now`.
    public func notYetValid(at now: Date) -> ValidityPeriod {
        let length = notAfter.timeIntervalSince(notBefore)
        let start = now.addingTimeInterval(86_400)
        return ValidityPeriod(notBefore: start, notAfter: start.addingTimeInterval(length))
    }
}
