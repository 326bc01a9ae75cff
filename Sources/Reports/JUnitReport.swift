import Verification

/// JUnit XML for CI systems: one test case per expectation, failing ones with a
/// `<failure>` that says why.
public enum JUnitReport {
    public static func render(_ report: RunReport) -> String {
        let failures = report.expectations.filter { !$0.passed }.count
        let seconds = Format.fixed(Double(report.durationNs) / 1_000_000_000, digits: 3)
        let suite = xml(report.scenario.name)
        var out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        out += "<testsuites name=\"fleet\" tests=\"\(report.expectations.count)\" failures=\"\(failures)\" time=\"\(seconds)\">\n"
        out += "  <testsuite name=\"\(suite)\" tests=\"\(report.expectations.count)\" failures=\"\(failures)\" "
            + "errors=\"0\" skipped=\"0\" time=\"\(seconds)\">\n"
        out += "    <properties>\n"
        out += "      <property name=\"seed\" value=\"\(report.scenario.seed)\"/>\n"
        out += "      <property name=\"devices\" value=\"\(report.scenario.devices)\"/>\n"
        if let path = report.scenario.sourcePath {
            out += "      <property name=\"scenario\" value=\"\(xml(path))\"/>\n"
        }
        out += "    </properties>\n"
        for result in report.expectations {
            out += "    <testcase classname=\"fleet.\(suite)\" name=\"\(xml(result.name))\" time=\"0\""
            if result.passed {
                out += "/>\n"
            } else {
                let message = "expected \(result.expected), got \(result.actual)"
                out += ">\n      <failure message=\"\(xml(message))\" type=\"ExpectationFailed\">\(xml(result.failure))</failure>\n"
                out += "    </testcase>\n"
            }
        }
        out += "  </testsuite>\n</testsuites>\n"
        return out
    }

    /// Escapes text for XML attributes and content; drops characters XML 1.0 forbids.
    static func xml(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\t", "\n", "\r": out.unicodeScalars.append(scalar)
            default:
                if scalar.value >= 0x20 && scalar.value != 0xFFFE && scalar.value != 0xFFFF {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }
}
