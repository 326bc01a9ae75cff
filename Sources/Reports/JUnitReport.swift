import Verification

/// JUnit XML for CI systems: one test case per expectation, failing ones with a
/// `<failure>` that says why.
public enum JUnitReport {
    public static func render(_ report: RunReport) -> String {
        let failures = report.expectations.filter { !$0.passed }.count
        let skipped = report.expectations.filter { !$0.exercised }.count
        let seconds = Format.fixed(Double(report.durationNs) / 1_000_000_000, digits: 3)
        let suite = MarkupText.escaped(report.scenario.name)
        var out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        out += "<testsuites name=\"fleet\" tests=\"\(report.expectations.count)\" failures=\"\(failures)\" "
            + "skipped=\"\(skipped)\" time=\"\(seconds)\">\n"
        out += "  <testsuite name=\"\(suite)\" tests=\"\(report.expectations.count)\" failures=\"\(failures)\" "
            + "errors=\"0\" skipped=\"\(skipped)\" time=\"\(seconds)\">\n"
        out += "    <properties>\n"
        out += "      <property name=\"seed\" value=\"\(report.scenario.seed)\"/>\n"
        out += "      <property name=\"devices\" value=\"\(report.scenario.devices)\"/>\n"
        if let path = report.scenario.sourcePath {
            out += "      <property name=\"scenario\" value=\"\(MarkupText.escaped(path))\"/>\n"
        }
        out += "    </properties>\n"
        for result in report.expectations {
            out += "    <testcase classname=\"fleet.\(suite)\" name=\"\(MarkupText.escaped(result.name))\" time=\"0\""
            let expected = "expected " + Wording.expected(result)
            if !result.exercised {
                // Nothing to judge: a skipped case, so CI shows it neither passed nor failed.
                let message = "\(expected), not exercised: \(result.actual)"
                out += ">\n      <skipped message=\"\(MarkupText.escaped(message))\"/>\n    </testcase>\n"
            } else if result.passed {
                out += "/>\n"
            } else {
                let message = "\(expected), got \(result.actual)"
                out += ">\n      <failure message=\"\(MarkupText.escaped(message))\" type=\"ExpectationFailed\">\(MarkupText.escaped(result.failure))</failure>\n"
                out += "    </testcase>\n"
            }
        }
        out += "  </testsuite>\n</testsuites>\n"
        return out
    }
}
