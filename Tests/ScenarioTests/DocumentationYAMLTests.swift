import Foundation
import Scenario
import XCTest

/// Every ```yaml block of the user documentation is a scenario that the JSON schema accepts, as PyYAML (a
/// YAML 1.1 parser, as most editors' and CI tools are) reads it, and that the loader loads.
///
/// Convention for the documents: a block is a whole scenario file, unless its first line is a comment
/// `# fragment of <place>`, where place is `a group` (keys of one `groups:` entry), `the broker`, `the timeline`
/// (a list of steps), `expect` or `observer`. The test puts a fragment in its place in a minimal scenario (one
/// device, a ramp) and checks that. Certificate and CA files are not looked for: the examples name folders
/// that need not exist on this machine.
final class DocumentationYAMLTests: XCTestCase {
    /// The documents a user reads; Sources/LabBroker/Profile/PROFILES.md's block is a broker profile, not a scenario.
    static let documents = ["README.md", "Scenarios/README.md", "Certs/README.md"]

    struct Example {
        /// `README.md:20`, the line of the opening fence.
        var place: String
        /// The block, or the fragment put in its minimal scenario.
        var scenario: String
    }

    func testEveryYAMLExampleSatisfiesTheSchemaAndLoads() throws {
        let examples = try Self.documents.flatMap { try Self.examples(in: $0) }
        XCTAssertGreaterThanOrEqual(examples.count, 2, "the Scenarios README has the full shape and the SAS fragment")
        let folder = NSTemporaryDirectory() + "documentation-yaml-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var files: [String] = []
        for (number, example) in examples.enumerated() {
            let file = folder + "/example-\(number).yaml"
            try example.scenario.write(toFile: file, atomically: true, encoding: .utf8)
            files.append(file)
            do {
                _ = try ScenarioLoader.parse(yaml: example.scenario, path: example.place,
                                             options: ScenarioLoader.Options(checkCertificateFiles: false))
            } catch {
                XCTFail("\(example.place) does not load:\n\(error)")
            }
        }
        let result = try SchemaValidation.validate(files)
        var output = result.output
        for (file, example) in zip(files, examples).reversed() {
            output = output.replacingOccurrences(of: file, with: example.place)
        }
        XCTAssertEqual(result.status, 0, "examples the schema refuses:\n\(output)")
    }

    func testFragmentsArePutInTheirPlace() throws {
        let group = try XCTUnwrap(Self.scenario(block: "# fragment of a group\nkeepalive: 15s\n"))
        XCTAssertEqual(try loadPlan(group).groups.first?.keepAlive, .seconds(15))
        let steps = try XCTUnwrap(Self.scenario(block: "# fragment of the timeline\n- { at: 5s, wait: 1s }\n"))
        XCTAssertEqual(try loadPlan(steps).timeline.count, 2)
        XCTAssertNil(Self.scenario(block: "# fragment of a device\nx: 1\n"), "an unknown place is no fragment")
    }

    /// The ```yaml blocks of a document, fragments put in their place.
    static func examples(in document: String) throws -> [Example] {
        let path = Repository.root + "/" + document
        guard FileManager.default.fileExists(atPath: path) else { return [] }
        let lines = try String(contentsOfFile: path, encoding: .utf8).components(separatedBy: "\n")
        var examples: [Example] = []
        var opening: Int?
        var block: [String] = []
        for (number, line) in lines.enumerated() {
            if let start = opening {
                if line.trimmingCharacters(in: .whitespaces) == "```" {
                    let place = "\(document):\(start + 1)"
                    guard let scenario = scenario(block: block.joined(separator: "\n") + "\n") else {
                        throw ExampleError(place: place)
                    }
                    examples.append(Example(place: place, scenario: scenario))
                    opening = nil
                } else {
                    block.append(line)
                }
            } else if line.trimmingCharacters(in: .whitespaces) == "```yaml" {
                opening = number
                block = []
            }
        }
        return examples
    }

    struct ExampleError: Error, CustomStringConvertible {
        var place: String
        var description: String { "\(place): a `# fragment of …` block names a place the test does not know" }
    }

    /// The block itself, or the fragment indented into a minimal scenario; nil for an unknown place.
    static func scenario(block: String) -> String? {
        let marker = "# fragment of "
        guard block.hasPrefix(marker) else { return block }
        let location = block.prefix { $0 != "\n" }.dropFirst(marker.count).trimmingCharacters(in: .whitespaces)
        func indented(_ spaces: Int) -> String {
            block.components(separatedBy: "\n").map { $0.isEmpty ? $0 : String(repeating: " ", count: spaces) + $0 }
                .joined(separator: "\n")
        }
        let group = "groups:\n  - name: example\n    count: 1\n"
        let ramp = "timeline:\n  - { at: 0s, ramp: {} }\n"
        switch location {
        case "a group": return group + indented(4) + ramp
        case "the broker": return "broker:\n" + indented(2) + group + ramp
        case "the timeline": return group + ramp + indented(2)
        case "expect": return group + ramp + "expect:\n" + indented(2)
        case "observer": return group + ramp + "observer:\n" + indented(2)
        default: return nil
        }
    }
}
