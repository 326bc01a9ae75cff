import Foundation

/// Validates YAML files against Scenarios/fleet-scenario.schema.json with python3's PyYAML and `jsonschema`:
/// PyYAML reads YAML 1.1 as most editors' and CI tools do (a bare `on` is true there), so what passes here
/// passes there.
enum SchemaValidation {
    static var schemaPath: String { Repository.scenarios + "/fleet-scenario.schema.json" }

    /// Each problem is printed as `path [location in the document] message`; status 0 when every file is valid.
    static func validate(_ files: [String]) throws -> (status: Int32, output: String) {
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
}
