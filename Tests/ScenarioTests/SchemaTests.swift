import Foundation
import XCTest

/// Scenarios/fleet-scenario.schema.json is a valid JSON Schema and every library scenario satisfies it,
/// checked with python3's `jsonschema` (what editors' YAML plugins use in spirit).
final class SchemaTests: XCTestCase {
    private var schemaPath: String { Repository.scenarios + "/fleet-scenario.schema.json" }

    /// Runs python3 validating each file against the schema; returns (exit status, output).
    private func validate(_ files: [String]) throws -> (status: Int32, output: String) {
        let script = """
            import json, sys, yaml, jsonschema
            schema = json.load(open(sys.argv[1]))
            jsonschema.Draft202012Validator.check_schema(schema)
            validator = jsonschema.Draft202012Validator(schema)
            failed = 0
            for path in sys.argv[2:]:
                for error in validator.iter_errors(yaml.safe_load(open(path))):
                    failed += 1
                    print(path, list(error.absolute_path), error.message)
            sys.exit(1 if failed else 0)
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script, schemaPath] + files
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, output)
    }

    func testSchemaIsValidJSON() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: schemaPath))
        let object = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        XCTAssertEqual(object?["$schema"] as? String, "https://json-schema.org/draft/2020-12/schema")
    }

    func testEveryLibraryScenarioSatisfiesTheSchema() throws {
        let result = try validate(try Repository.scenarioFiles())
        XCTAssertEqual(result.status, 0, result.output)
    }

    func testSchemaRejectsABadScenario() throws {
        let bad = NSTemporaryDirectory() + "scenario-schema-\(UUID().uuidString).yaml"
        try scenario(group: ["keepalve: 15s"], steps: ["{ at: 5s, disconnect: { select: 2, mode: sudden } }"])
            .write(toFile: bad, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: bad) }
        let result = try validate([bad])
        XCTAssertEqual(result.status, 1, result.output)
        XCTAssertTrue(result.output.contains("keepalve"), result.output)
        XCTAssertTrue(result.output.contains("sudden") || result.output.contains("timeline"), result.output)
    }
}
