import Foundation
import Scenario
import XCTest

/// Loads scenario text and returns its errors (failing the test if it loads cleanly).
func scenarioErrors(
    _ yaml: String, options: ScenarioLoader.Options = ScenarioLoader.Options(),
    file: StaticString = #filePath, line: UInt = #line
) -> [ScenarioError] {
    do {
        _ = try ScenarioLoader.parse(yaml: yaml, path: "test.yaml", options: options)
        XCTFail("expected the scenario to be rejected", file: file, line: line)
        return []
    } catch let errors as ScenarioErrors {
        return errors.errors
    } catch {
        XCTFail("unexpected error type: \(error)", file: file, line: line)
        return []
    }
}

/// The only error of a scenario, asserted to be at `line`:`column` and to mention `problem`.
@discardableResult
func assertSingleError(
    _ yaml: String, line expectedLine: Int, column expectedColumn: Int, mentions problem: String,
    hint: String? = nil, options: ScenarioLoader.Options = ScenarioLoader.Options(),
    file: StaticString = #filePath, line: UInt = #line
) -> ScenarioError? {
    let errors = scenarioErrors(yaml, options: options, file: file, line: line)
    XCTAssertEqual(errors.count, 1, "expected one error, got:\n\(errors.map(\.description).joined(separator: "\n"))",
                   file: file, line: line)
    guard let error = errors.first else { return nil }
    XCTAssertEqual(error.line, expectedLine, "line of: \(error)", file: file, line: line)
    XCTAssertEqual(error.column, expectedColumn, "column of: \(error)", file: file, line: line)
    XCTAssertTrue(error.problem.contains(problem), "`\(error.problem)` should mention `\(problem)`", file: file, line: line)
    if let hint {
        XCTAssertTrue(error.hint?.contains(hint) == true, "hint `\(error.hint ?? "none")` should contain `\(hint)`",
                      file: file, line: line)
    }
    XCTAssertEqual(error.file, "test.yaml", file: file, line: line)
    return error
}

func loadPlan(_ yaml: String, options: ScenarioLoader.Options = ScenarioLoader.Options(),
              file: StaticString = #filePath, line: UInt = #line) throws -> Plan {
    do {
        return try ScenarioLoader.parse(yaml: yaml, path: "test.yaml", options: options)
    } catch {
        XCTFail("scenario should load:\n\(error)", file: file, line: line)
        throw error
    }
}

/// A valid scenario with one 10-device group; `group` lines are appended to the group, `steps` to the timeline.
/// Lines: 1 name, 2 broker, 3 url, 4 groups, 5 - name, 6 count, 7 client-id, 8 personality (if given),
/// then the group extras, then `timeline:`, the ramp step and `steps`.
func scenario(group extras: [String] = [], personality: String? = nil, steps: [String] = []) -> String {
    var lines = [
        "name: test",
        "broker:",
        "  url: mqtt://127.0.0.1:1883",
        "groups:",
        "  - name: sensors",
        "    count: 10",
        "    client-id: \"test-{index:02}\"",
    ]
    if let personality { lines.append("    personality: \(personality)") }
    lines += extras.map { "    " + $0 }
    lines.append("timeline:")
    lines.append("  - { at: 0s, ramp: { over: 1s } }")
    lines += steps.map { "  - " + $0 }
    return lines.joined(separator: "\n") + "\n"
}

/// The base scenario with its broker at `url` and an `observer:` block with these `credentials` (a flow mapping).
func scenario(brokerURL url: String, observerCredentials credentials: String) -> String {
    scenario().replacingOccurrences(of: "  url: mqtt://127.0.0.1:1883", with: """
          url: \(url)
        observer:
          credentials: \(credentials)
        """)
}

/// 1-based line and column of the first occurrence of `needle` in `text` (needles in tests are unique).
func position(of needle: String, in text: String, file: StaticString = #filePath, line: UInt = #line) -> (line: Int, column: Int) {
    for (offset, content) in text.components(separatedBy: "\n").enumerated() {
        if let range = content.range(of: needle) {
            return (offset + 1, content.unicodeScalars.distance(from: content.unicodeScalars.startIndex,
                                                                 to: range.lowerBound.samePosition(in: content.unicodeScalars)!) + 1)
        }
    }
    XCTFail("`\(needle)` not in the test scenario", file: file, line: line)
    return (0, 0)
}

/// Asserts the scenario has exactly one error, located where `needle` starts.
@discardableResult
func assertSingleError(
    _ yaml: String, at needle: String, mentions problem: String, hint: String? = nil,
    options: ScenarioLoader.Options = ScenarioLoader.Options(), file: StaticString = #filePath, line: UInt = #line
) -> ScenarioError? {
    let place = position(of: needle, in: yaml, file: file, line: line)
    return assertSingleError(yaml, line: place.line, column: place.column, mentions: problem, hint: hint,
                             options: options, file: file, line: line)
}
