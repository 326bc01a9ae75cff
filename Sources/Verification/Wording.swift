import Ledger
import Scenario

/// The one plain wording of the run's vocabulary, shared by the live line, the terminal summary, the reports and
/// the documentation, so that an ending, a will verdict, a fault or a disconnect cause reads the same
/// everywhere. The enums' raw values stay the machine keys (JSON, ledger); these are what people read.
public enum Wording {
    /// How a connection ended, as the will verdicts name it: `abrupt`, `graceful with will`, `takeover`.
    public static func ending(_ ending: EndingKind) -> String {
        switch ending {
        case .abrupt: "abrupt"
        case .silent: "silent"
        case .graceful: "graceful"
        case .gracefulWithWill: "graceful with will"
        case .takeover: "takeover"
        case .unplanned: "not injected"
        }
    }

    /// The judgement on one ending's will: `delivered`, `missing`, …, `none due`, `pending`.
    public static func judgement(_ judgement: WillJudgement) -> String {
        switch judgement {
        case .delivered: "delivered"
        case .missing: "missing"
        case .late: "late"
        case .early: "early"
        case .unexpected: "unexpected"
        case .duplicated: "duplicated"
        case .absent: "none due"
        case .undecided: "pending"
        }
    }

    /// What the scenario expects of a will: `delivered`, `none`, `not checked`.
    public static func outcome(_ outcome: WillOutcome) -> String {
        switch outcome {
        case .delivered: "delivered"
        case .none: "none"
        case .ignore: "not checked"
        }
    }

    /// A fault or action the timeline injected: `abrupt`, `impostor`, `certificate fault`, `burst`.
    public static func fault(_ fault: FaultKind) -> String {
        switch fault {
        case .abrupt: "abrupt"
        case .silent: "silent"
        case .graceful: "graceful"
        case .gracefulWithWill: "graceful with will"
        case .impostorStarted: "impostor"
        case .throttled: "throttled"
        case .unthrottled: "unthrottled"
        case .certFault: "certificate fault"
        case .burst: "burst"
        case .publish: "publish"
        case .sasFault: "SAS token fault"
        case .cloudMessage: "IoT Hub message"
        }
    }

    /// Why a connection ended: `abrupt`, `taken over`, `closed by the broker`, `keep-alive timeout`.
    public static func cause(_ cause: DisconnectCause) -> String {
        switch cause {
        case .graceful: "graceful"
        case .gracefulWithWill: "graceful with will"
        case .abrupt: "abrupt"
        case .silent: "silent"
        case .takenOver: "taken over"
        case .serverDisconnect: "closed by the broker"
        case .keepAliveTimeout: "keep-alive timeout"
        case .networkError: "network error"
        case .refused: "refused"
        }
    }

    /// A fault as a report stores it (its raw value, e.g. `FaultMark.fault`), in words; an unknown key as is.
    public static func fault(key: String) -> String {
        FaultKind(rawValue: key).map(fault) ?? key
    }

    /// A disconnect cause as a report stores it (`ConnectionStats.disconnectsByCause`), in words.
    public static func cause(key: String) -> String {
        DisconnectCause(rawValue: key).map(cause) ?? key
    }

    /// A will judgement as a report stores it (`WillSection.counts`), in words.
    public static func judgement(key: String) -> String {
        WillJudgement(rawValue: key).map(judgement) ?? key
    }

    /// What an expectation expected, as the file states it; `(default)` when the file did not write it.
    public static func expected(_ result: ExpectationResult) -> String {
        result.expected + (result.isDefault ? " (default)" : "")
    }

    /// An expectation's outcome in one word: `PASS`, `FAIL`, or `not exercised` when the run gave it nothing to judge.
    public static func outcome(_ result: ExpectationResult) -> String {
        !result.exercised ? "not exercised" : result.passed ? "PASS" : "FAIL"
    }

    /// The run's expectations in one phrase, as the summary's RESULT line and the HTML banner say it:
    /// `6 expectations met, 2 not exercised`, or `1 of 6 expectations failed, 2 not exercised`.
    public static func tally(_ results: [ExpectationResult]) -> String {
        let failed = results.filter { !$0.passed }.count
        let exercised = results.filter(\.exercised).count
        let idle = results.count - exercised
        let notExercised = idle > 0 ? ", \(idle) not exercised" : ""
        return failed == 0
            ? "\(count(exercised, "expectation")) met\(notExercised)"
            : "\(failed) of \(count(exercised, "expectation")) failed\(notExercised)"
    }

    /// `1 device`, `2 devices`, `0 devices`; `plural` for nouns that do not take an `s`.
    public static func count(_ count: Int, _ noun: String, plural: String? = nil) -> String {
        "\(count) " + (count == 1 ? noun : plural ?? noun + "s")
    }

    /// `count(_:_:plural:)` for unsigned counters.
    public static func count(_ count: UInt64, _ noun: String, plural: String? = nil) -> String {
        "\(count) " + (count == 1 ? noun : plural ?? noun + "s")
    }
}
