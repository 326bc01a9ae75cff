import Foundation
import XCTest

/// Scenarios/fleet-scenario.schema.json is a valid JSON Schema and every library scenario satisfies it,
/// checked with python3's `jsonschema` (what editors' YAML plugins use in spirit).
final class SchemaTests: XCTestCase {
    func testSchemaIsValidJSON() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: SchemaValidation.schemaPath))
        let object = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        XCTAssertEqual(object?["$schema"] as? String, "https://json-schema.org/draft/2020-12/schema")
    }

    func testEveryLibraryScenarioSatisfiesTheSchema() throws {
        let result = try SchemaValidation.validate(try Repository.scenarioFiles())
        XCTAssertEqual(result.status, 0, result.output)
    }

    func testSchemaRejectsABadScenario() throws {
        let bad = NSTemporaryDirectory() + "scenario-schema-\(UUID().uuidString).yaml"
        try scenario(group: ["keepalve: 15s"], steps: ["{ at: 5s, disconnect: { select: 2, mode: sudden } }"])
            .write(toFile: bad, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: bad) }
        let result = try SchemaValidation.validate([bad])
        XCTAssertEqual(result.status, 1, result.output)
        XCTAssertTrue(result.output.contains("keepalve"), result.output)
        XCTAssertTrue(result.output.contains("sudden") || result.output.contains("timeline"), result.output)
    }
}
